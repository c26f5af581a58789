import { PassThrough, Readable } from 'node:stream';
import { expect } from 'vitest';
import { NotFoundError, PreconditionError } from '../../src/model/errors.js';
import type { SuiteContext } from './store.js';
import { failingStream, listAll, listKeys, macrotask, readAll, readText } from './store-streams.js';

/** Write/read/stat/list/delete, atomicity of writes, generations and conditions. */
export function basicCases(ctx: SuiteContext): void {
  const { test, caps } = ctx;
  const conditional = {
    when: caps.conditionalWrite,
    reason: 'the backend has no conditional writes (capabilities.conditionalWrite false)',
  };

  test('writes a Buffer and reads it back streamed', async () => {
    const { store, bucket } = ctx.fx();
    const info = await store.write(bucket, 'in/buffer.csv', Buffer.from('a,b\n1,2\n'));
    expect(info).toMatchObject({ bucket, key: 'in/buffer.csv', size: 8 });
    const stream = await store.read(bucket, 'in/buffer.csv');
    expect(stream).toBeInstanceOf(Readable);
    expect((await readAll(stream)).toString()).toBe('a,b\n1,2\n');
  });

  test('writes a Readable and reads it back streamed', async () => {
    const { store, bucket } = ctx.fx();
    const parts = Array.from({ length: 40 }, (_, i) => Buffer.alloc(10_000, 65 + (i % 26)));
    const info = await store.write(bucket, 'in/stream.bin', Readable.from(parts));
    expect(info.size).toBe(400_000);
    expect((await readAll(await store.read(bucket, 'in/stream.bin'))).equals(Buffer.concat(parts))).toBe(
      true,
    );
  });

  test('stat reports size, generation, times, metadata and content type', async () => {
    const { store, bucket } = ctx.fx();
    const before = Date.now();
    const written = await store.write(bucket, 'stat/me.csv', Buffer.from('hello'), {
      contentType: 'text/csv',
      metadata: { origin: 'conformance' },
    });
    const info = await store.stat(bucket, 'stat/me.csv');
    expect(info).toBeDefined();
    expect(info).toMatchObject({ bucket, key: 'stat/me.csv', size: 5, generation: written.generation });
    expect(typeof info!.generation).toBe('string');
    expect(info!.generation.length).toBeGreaterThan(0);
    expect(info!.created).toBeInstanceOf(Date);
    expect(info!.updated).toBeInstanceOf(Date);
    expect(Math.abs(info!.updated.getTime() - before)).toBeLessThan(10 * 60_000);
    expect(info!.updated.getTime()).toBeGreaterThanOrEqual(info!.created.getTime() - 1000);
    expect(typeof info!.metadata).toBe('object');
    if (caps.metadata) {
      expect(info!.metadata).toMatchObject({ origin: 'conformance' });
      expect(info!.contentType).toBe('text/csv');
    } else {
      expect(info!.contentType).toBeUndefined();
    }
  });

  test('stat of a missing object is undefined', async () => {
    const { store, bucket } = ctx.fx();
    expect(await store.stat(bucket, 'missing/nothing.csv')).toBeUndefined();
    await store.write(bucket, 'missing/other.csv', Buffer.from('x'));
    expect(await store.stat(bucket, 'missing/nothing.csv')).toBeUndefined();
    expect(await store.stat(bucket, 'missing')).toBeUndefined();
  });

  test('read of a missing object throws NotFoundError', async () => {
    const { store, bucket } = ctx.fx();
    const error = await store.read(bucket, 'missing.csv').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: 'E_NOT_FOUND' });
  });

  test('read with a stale generation throws PreconditionError', async () => {
    const { store, bucket } = ctx.fx();
    const first = await store.write(bucket, 'gen.txt', Buffer.from('one'));
    await store.write(bucket, 'gen.txt', Buffer.from('two'));
    await expect(store.read(bucket, 'gen.txt', { generation: first.generation })).rejects.toBeInstanceOf(
      PreconditionError,
    );
    const current = await store.stat(bucket, 'gen.txt');
    expect(
      (await readAll(await store.read(bucket, 'gen.txt', { generation: current!.generation }))).toString(),
    ).toBe('two');
  });

  test('generation changes when the content is rewritten', async () => {
    const { store, bucket } = ctx.fx();
    const first = await store.write(bucket, 'rewrite.txt', Buffer.from('aaaa'));
    const second = await store.write(bucket, 'rewrite.txt', Buffer.from('bbbb'));
    expect(second.generation).not.toBe(first.generation);
    expect((await store.stat(bucket, 'rewrite.txt'))!.generation).toBe(second.generation);
  });

  test('list filters by prefix', async () => {
    const { store, bucket } = ctx.fx();
    for (const key of ['a/1.csv', 'a/2.csv', 'ab.csv', 'b/a/1.csv', 'c.csv'])
      await store.write(bucket, key, Buffer.from(key));
    expect(await listKeys(store, bucket, 'a/')).toEqual(['a/1.csv', 'a/2.csv']);
    expect(await listKeys(store, bucket, 'a')).toEqual(['a/1.csv', 'a/2.csv', 'ab.csv']);
    expect(await listKeys(store, bucket, 'b/a/')).toEqual(['b/a/1.csv']);
    expect(await listKeys(store, bucket, 'b/a/1')).toEqual(['b/a/1.csv']);
    expect(await listKeys(store, bucket, 'zzz')).toEqual([]);
    expect(await listKeys(store, bucket)).toEqual(['a/1.csv', 'a/2.csv', 'ab.csv', 'b/a/1.csv', 'c.csv']);
  });

  test('list pages through keys in lexicographic order', async () => {
    const { store, bucket } = ctx.fx();
    const keys = ['x0', 'a/b/c', 'x/y', 'a0', 'x-1', 'a.b', 'x.z', 'm/n/o/p'];
    for (const key of keys) await store.write(bucket, key, Buffer.from(key));
    const sorted = [...keys].sort();
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const page = await store.list(bucket, { pageSize: 3, pageToken });
      expect(page.items.length).toBeLessThanOrEqual(3);
      for (const item of page.items) {
        expect(item.size).toBe(Buffer.byteLength(item.key));
        expect(item.generation.length).toBeGreaterThan(0);
      }
      seen.push(...page.items.map((i) => i.key));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken && pages < 10);
    expect(seen).toEqual(sorted);
    expect(pages).toBe(3);
  });

  test('list skips folder placeholders (keys ending in /)', async () => {
    const { store, bucket } = ctx.fx();
    await store.write(bucket, 'folder/file.csv', Buffer.from('x'));
    const placeholder = await store.write(bucket, 'folder/', Buffer.alloc(0)).then(
      () => 'stored',
      (e: unknown) => (e as { code?: string }).code,
    );
    expect(['stored', 'E_KEY_UNSAFE']).toContain(placeholder);
    const keys = (await listAll(store, bucket)).map((i) => i.key);
    expect(keys).toEqual(['folder/file.csv']);
  });

  test('readers during a slow streamed write see the old object or the whole new one', async () => {
    const { store, bucket } = ctx.fx();
    const key = 'atomic/target.bin';
    const old = Buffer.alloc(200_000, 0x6f);
    const oldInfo = await store.write(bucket, key, old);
    const body = new PassThrough();
    const writing = store.write(bucket, key, body);
    const fresh: Buffer[] = [];
    for (let i = 0; i < 5; i++) {
      const chunk = Buffer.alloc(65_536, 0x61 + i);
      fresh.push(chunk);
      body.write(chunk);
      await macrotask();
      await macrotask();
      const seen = await readAll(await store.read(bucket, key));
      expect(seen.equals(old)).toBe(true);
      expect((await store.stat(bucket, key))!.generation).toBe(oldInfo.generation);
      expect(await listKeys(store, bucket)).toEqual([key]);
    }
    body.end();
    const info = await writing;
    expect(info.size).toBe(5 * 65_536);
    expect((await readAll(await store.read(bucket, key))).equals(Buffer.concat(fresh))).toBe(true);
  });

  test('a failed write leaves nothing behind and the old object intact', async () => {
    const { store, bucket } = ctx.fx();
    const oldInfo = await store.write(bucket, 'fail/kept.csv', Buffer.from('old content'));
    await expect(
      store.write(bucket, 'fail/kept.csv', failingStream(3, 50_000, new Error('source broke mid-way'))),
    ).rejects.toThrow();
    await expect(
      store.write(bucket, 'fail/new.csv', failingStream(2, 50_000, new Error('source broke mid-way'))),
    ).rejects.toThrow();
    expect(await readText(store, bucket, 'fail/kept.csv')).toBe('old content');
    expect((await store.stat(bucket, 'fail/kept.csv'))!.generation).toBe(oldInfo.generation);
    expect(await store.stat(bucket, 'fail/new.csv')).toBeUndefined();
    expect(await listKeys(store, bucket)).toEqual(['fail/kept.csv']);
    if (store.cleanup) expect(await store.cleanup(bucket)).toBe(0);
  });

  test(
    'write with ifGenerationMatch 0 on an existing key throws PreconditionError',
    async () => {
      const { store, bucket } = ctx.fx();
      await store.write(bucket, 'cond/exists.csv', Buffer.from('first'));
      const error = await store
        .write(bucket, 'cond/exists.csv', Buffer.from('second'), { ifGenerationMatch: '0' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PreconditionError);
      expect(error).toMatchObject({ code: 'E_PRECONDITION' });
      expect(await readText(store, bucket, 'cond/exists.csv')).toBe('first');
      const created = await store.write(bucket, 'cond/new.csv', Buffer.from('new'), {
        ifGenerationMatch: '0',
      });
      expect(created.size).toBe(3);
    },
    conditional,
  );

  test(
    'write with ifGenerationMatch replaces only the named generation',
    async () => {
      const { store, bucket } = ctx.fx();
      const first = await store.write(bucket, 'cond/gen.csv', Buffer.from('first'));
      const second = await store.write(bucket, 'cond/gen.csv', Buffer.from('second'), {
        ifGenerationMatch: first.generation,
      });
      await expect(
        store.write(bucket, 'cond/gen.csv', Buffer.from('third'), { ifGenerationMatch: first.generation }),
      ).rejects.toBeInstanceOf(PreconditionError);
      expect(await readText(store, bucket, 'cond/gen.csv')).toBe('second');
      await expect(
        store.write(bucket, 'cond/none.csv', Buffer.from('x'), { ifGenerationMatch: second.generation }),
      ).rejects.toBeInstanceOf(PreconditionError);
      expect(await store.stat(bucket, 'cond/none.csv')).toBeUndefined();
    },
    conditional,
  );

  test('delete with a stale generation throws PreconditionError and deletes nothing', async () => {
    const { store, bucket } = ctx.fx();
    const first = await store.write(bucket, 'del/kept.csv', Buffer.from('v1'));
    const second = await store.write(bucket, 'del/kept.csv', Buffer.from('v2'));
    const error = await store
      .delete(bucket, 'del/kept.csv', { ifGenerationMatch: first.generation })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionError);
    expect(error).toMatchObject({ code: 'E_PRECONDITION' });
    expect(await readText(store, bucket, 'del/kept.csv')).toBe('v2');
    expect((await store.stat(bucket, 'del/kept.csv'))!.generation).toBe(second.generation);
    expect(await listKeys(store, bucket)).toEqual(['del/kept.csv']);
  });

  test('delete with the current generation deletes', async () => {
    const { store, bucket } = ctx.fx();
    const info = await store.write(bucket, 'del/gone.csv', Buffer.from('v1'));
    await store.delete(bucket, 'del/gone.csv', { ifGenerationMatch: info.generation });
    expect(await store.stat(bucket, 'del/gone.csv')).toBeUndefined();
    await store.write(bucket, 'del/plain.csv', Buffer.from('v1'));
    await store.delete(bucket, 'del/plain.csv');
    expect(await listKeys(store, bucket)).toEqual([]);
  });

  test('delete of a missing object throws NotFoundError', async () => {
    const { store, bucket } = ctx.fx();
    const error = await store.delete(bucket, 'del/never.csv').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(store.delete(bucket, 'del/never.csv', { ifGenerationMatch: '123' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
}
