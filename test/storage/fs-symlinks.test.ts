// Symbolic links and undecodable names below a bucket folder: only the
// local-folder store can meet them (they are made behind the store, with
// node:fs). Every operation refuses a link at any segment with E_SYMLINK and
// touches nothing outside the data root; listings report links and names
// that are not UTF-8 instead of following or hiding them.
import { existsSync, promises as fsp, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsStore } from '../../src/storage/fs/store.js';
import { listAll, listKeys, readText } from '../conformance/store-streams.js';
import { snapshotTree } from '../helpers/fs-snapshot.js';

let data: string;
let outside: string;
let bucketDir: string;
let store: FsStore;
const bucket = 'bucket';

beforeEach(async () => {
  data = await fsp.mkdtemp(path.join(os.tmpdir(), 'switchyard-fs-links-'));
  outside = path.join(data, 'outside');
  bucketDir = path.join(data, 'proj', bucket);
  await fsp.mkdir(path.join(outside, 'deep'), { recursive: true });
  await fsp.writeFile(path.join(outside, 'secret.txt'), 'secret');
  await fsp.writeFile(path.join(outside, 'deep', 'secret.txt'), 'deep secret');
  store = new FsStore({ root: path.join(data, 'proj'), name: 'fs:proj' });
  await store.write(bucket, 'real/inside.txt', Buffer.from('inside'));
  await store.write(bucket, 'real/sub/inside.txt', Buffer.from('inside too'));
  // a folder link at the first segment, one at a middle segment, file links at the last
  await fsp.symlink(outside, path.join(bucketDir, 'mid'));
  await fsp.symlink(outside, path.join(bucketDir, 'real', 'hop'));
  await fsp.symlink(path.join(outside, 'secret.txt'), path.join(bucketDir, 'last.txt'));
  await fsp.symlink(path.join(bucketDir, 'real', 'inside.txt'), path.join(bucketDir, 'alias.txt'));
});
afterEach(async () => {
  await fsp.rm(data, { recursive: true, force: true });
});

const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? String(e),
  );

/** Keys whose path crosses a symbolic link: at the first segment, a middle one, the last one (out of and inside the bucket). */
const LINKED = ['mid/secret.txt', 'real/hop/deep/secret.txt', 'last.txt', 'alias.txt'];

describe('fs store: symbolic links below a bucket are refused, never followed', () => {
  it('stat, read, readChecksum and delete refuse a link at any segment (E_SYMLINK) and touch nothing', async () => {
    const before = await snapshotTree(data);
    for (const key of LINKED) {
      expect(await codeOf(store.stat(bucket, key)), `stat ${key}`).toBe('E_SYMLINK');
      expect(await codeOf(store.read(bucket, key)), `read ${key}`).toBe('E_SYMLINK');
      expect(await codeOf(store.readChecksum(bucket, key)), `readChecksum ${key}`).toBe('E_SYMLINK');
      expect(await codeOf(store.delete(bucket, key)), `delete ${key}`).toBe('E_SYMLINK');
      const generation = '1-1-1';
      expect(await codeOf(store.delete(bucket, key, { ifGenerationMatch: generation }))).toBe('E_SYMLINK');
    }
    expect(await snapshotTree(data)).toEqual(before);
  });

  it('the error is permanent and names the key and the link met', async () => {
    const error = await store.stat(bucket, 'real/hop/deep/secret.txt').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'E_SYMLINK',
      transient: false,
      details: { key: 'real/hop/deep/secret.txt', path: expect.stringMatching(/real\/hop$/) as unknown },
    });
    expect((error as Error).message).toMatch(/\[fs\].*symbolic link/);
  });

  it('write refuses to go through a link or to replace one', async () => {
    const before = await snapshotTree(data);
    for (const key of [...LINKED, 'mid/planted.txt', 'real/hop/planted.txt']) {
      expect(await codeOf(store.write(bucket, key, Buffer.from('x'))), `write ${key}`).toBe('E_SYMLINK');
      expect(await codeOf(store.write(bucket, key, Buffer.from('x'), { ifGenerationMatch: '0' }))).toBe(
        'E_SYMLINK',
      );
    }
    expect(existsSync(path.join(outside, 'planted.txt'))).toBe(false);
    expect(await snapshotTree(data)).toEqual(before);
  });

  it('copy and rename refuse a link on either side and bring no outside bytes in', async () => {
    // a rename told the source generation links first and checks after: the bucket folder's mtime moves
    const before = await snapshotTree(data, { folderTimes: false });
    for (const key of LINKED) {
      const stolen = { bucket, key: 'stolen.txt' };
      expect(await codeOf(store.copy(store, { bucket, key }, stolen)), `copy from ${key}`).toBe('E_SYMLINK');
      expect(await codeOf(store.rename(store, { bucket, key }, stolen)), `rename from ${key}`).toBe(
        'E_SYMLINK',
      );
      const inside = { bucket, key: 'real/inside.txt' };
      expect(await codeOf(store.copy(store, inside, { bucket, key })), `copy to ${key}`).toBe('E_SYMLINK');
      expect(await codeOf(store.rename(store, inside, { bucket, key })), `rename to ${key}`).toBe(
        'E_SYMLINK',
      );
      const generation = (await store.stat(bucket, 'real/inside.txt'))!.generation;
      const known = { ifSourceGenerationMatch: generation };
      expect(await codeOf(store.rename(store, { bucket, key }, stolen, known))).toBe('E_SYMLINK');
    }
    expect(await snapshotTree(data, { folderTimes: false })).toEqual(before);
    expect(await readText(store, bucket, 'real/inside.txt')).toBe('inside');
  });

  it('list reports each link (E_SYMLINK) once, on its page, lists the rest, and descends into none', async () => {
    await fsp.writeFile(path.join(outside, '.switchyard-tmp-x'), 'not ours');
    const before = await snapshotTree(outside);
    expect(await listKeys(store, bucket)).toEqual(['real/inside.txt', 'real/sub/inside.txt']);
    for (const pageSize of [1, 2, 1000]) {
      const problems: string[] = [];
      let pageToken: string | undefined;
      do {
        const page = await store.list(bucket, { pageSize, ...(pageToken ? { pageToken } : {}) });
        for (const p of page.problems ?? []) {
          expect(p.code).toBe('E_SYMLINK');
          expect(p.message).toContain(p.key);
          problems.push(p.key);
        }
        pageToken = page.nextPageToken;
      } while (pageToken);
      expect(problems.sort(), `pageSize ${pageSize}`).toEqual(['alias.txt', 'last.txt', 'mid', 'real/hop']);
    }
    expect(await listKeys(store, bucket, 'mid/')).toEqual([]);
    expect((await store.list(bucket, { prefix: 'mid/' })).problems?.map((p) => p.key)).toEqual(['mid']);
    expect(await store.cleanup(bucket, 0)).toBe(0);
    expect(await snapshotTree(outside)).toEqual(before);
  });

  it('the bucket folder itself may be a link the operator made', async () => {
    const elsewhere = path.join(data, 'elsewhere');
    await fsp.mkdir(elsewhere);
    await fsp.symlink(elsewhere, path.join(data, 'proj', 'linked'));
    await store.write('linked', 'in/a.csv', Buffer.from('a'));
    expect(await readText(store, 'linked', 'in/a.csv')).toBe('a');
    expect(await fsp.readFile(path.join(elsewhere, 'in', 'a.csv'), 'utf8')).toBe('a');
    expect((await listAll(store, 'linked')).map((i) => i.key)).toEqual(['in/a.csv']);
    await store.delete('linked', 'in/a.csv');
    expect(existsSync(path.join(elsewhere, 'in', 'a.csv'))).toBe(false);
  });
});

describe('fs store: handles', () => {
  it('closes every handle it opens, whatever the outcome', async () => {
    const open = (): number => readdirSync('/proc/self/fd').length;
    const round = async (i: number): Promise<void> => {
      const key = `a/b/c/${i % 7}.csv`;
      await store.write(bucket, key, Buffer.from(`file ${i}`));
      await store.stat(bucket, key);
      await readText(store, bucket, key);
      await store.readChecksum(bucket, key);
      await store.copy(store, { bucket, key }, { bucket, key: `copy/${i % 5}/x.csv` });
      await store.rename(store, { bucket, key: `copy/${i % 5}/x.csv` }, { bucket, key: `moved/${i}.csv` });
      await listAll(store, bucket, '', 3);
      for (const linked of LINKED) {
        await codeOf(store.stat(bucket, linked));
        await codeOf(store.write(bucket, linked, Buffer.from('x')));
        await codeOf(store.copy(store, { bucket, key: linked }, { bucket, key: 'z.csv' }));
      }
      await codeOf(store.read(bucket, 'no/such/file.csv'));
      await store.delete(bucket, key);
      await store.cleanup(bucket);
    };
    await round(0);
    const before = open();
    for (let i = 1; i <= 25; i++) await round(i);
    expect(open()).toBe(before);
  });
});

describe('fs store: names that are not UTF-8', () => {
  it('are listed as E_KEY_ENCODING problems, escaped, with their generation, and never touched', async () => {
    const raw = Buffer.concat([
      Buffer.from(`${bucketDir}/real/r`),
      Buffer.from([0xe9]),
      Buffer.from('sum.csv'),
    ]);
    const folder = Buffer.concat([Buffer.from(`${bucketDir}/caf`), Buffer.from([0xe9, 0xff])]);
    await fsp.writeFile(raw, 'latin-1 name');
    await fsp.mkdir(folder);
    await fsp.writeFile(Buffer.concat([folder, Buffer.from('/hidden.csv')]), 'below');
    await fsp.rm(path.join(bucketDir, 'mid'));
    const problems = [];
    let pageToken: string | undefined;
    do {
      const page = await store.list(bucket, { pageSize: 1, ...(pageToken ? { pageToken } : {}) });
      problems.push(...(page.problems ?? []).filter((p) => p.code === 'E_KEY_ENCODING'));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(problems.map((p) => p.key).sort()).toEqual(['caf\\xE9\\xFF', 'real/r\\xE9sum.csv']);
    const file = problems.find((p) => p.key === 'real/r\\xE9sum.csv')!;
    expect(file.size).toBe('latin-1 name'.length);
    expect(file.generation).toMatch(/^\d+-\d+-\d+$/);
    expect(file.message).toContain('not UTF-8');
    await store.cleanup(bucket, 0);
    expect((await fsp.readFile(raw)).toString()).toBe('latin-1 name');
    expect(existsSync(Buffer.concat([folder, Buffer.from('/hidden.csv')]))).toBe(true);
  });

  it('a valid UTF-8 name is listed as a key, not a problem', async () => {
    await store.write(bucket, 'real/résumé.csv', Buffer.from('ok'));
    const page = await store.list(bucket, { prefix: 'real/r' });
    expect(page.items.map((i) => i.key)).toEqual(['real/résumé.csv']);
    expect(page.problems).toBeUndefined();
  });
});
