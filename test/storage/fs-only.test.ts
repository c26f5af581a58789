// Cases only the local-folder store can run: they touch the files behind the
// store (temp files a killed process leaves, a file blocking a
// folder, two filesystems). Everything backends share is in fs.test.ts;
// symbolic links and odd names are in fs-symlinks.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/model/errors.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { FS_TEMP_PREFIX, FsStore } from '../../src/storage/fs/store.js';
import { tempName, wrapFsError } from '../../src/storage/fs/paths.js';
import { closeDir, openDirPath } from '../../src/storage/fs/dirs.js';
import { DirListingCache, walkKeys } from '../../src/storage/fs/walk.js';
import { MemoryStore } from '../../src/storage/memory/store.js';
import { listAll, listKeys, macrotask, readText } from '../conformance/store-streams.js';

let data: string;
let store: FsStore;
const bucket = 'bucket';

beforeEach(async () => {
  data = await fsp.mkdtemp(path.join(os.tmpdir(), 'switchyard-fs-only-'));
  store = new FsStore({ root: path.join(data, 'proj'), name: 'fs:proj' });
});
afterEach(async () => {
  await fsp.rm(data, { recursive: true, force: true });
});

const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? String(e),
  );

describe('fs store: files behind the store', () => {
  it('maps bucket and key to DATA/<project>/<bucket>/<key>', async () => {
    await store.write(bucket, 'in/2024/a.csv', Buffer.from('a'));
    expect(await fsp.readFile(path.join(data, 'proj', bucket, 'in', '2024', 'a.csv'), 'utf8')).toBe('a');
  });

  it('refuses keys a folder tree cannot hold: empty segments, long segments, the temp prefix', async () => {
    for (const key of ['a//b', 'dir/', `${'x'.repeat(256)}/a`, `x/${FS_TEMP_PREFIX}1`]) {
      expect(await codeOf(store.write(bucket, key, Buffer.from('x'))), key).toBe('E_KEY_UNSAFE');
    }
    expect(await codeOf(store.write(bucket, `${'é'.repeat(127)}/a`, Buffer.from('x')))).toBe('ok');
    expect(await codeOf(store.write(bucket, `${'é'.repeat(128)}/a`, Buffer.from('x')))).toBe('E_KEY_UNSAFE');
  });

  it('cleanup removes temp files a killed writer left, by age, and list never shows them', async () => {
    await store.write(bucket, 'in/kept.csv', Buffer.from('kept'));
    const folder = path.join(data, 'proj', bucket, 'in');
    const orphan = path.join(folder, `${FS_TEMP_PREFIX}killed-1`);
    await fsp.writeFile(orphan, 'half a fi');
    const old = new Date(Date.now() - 3600_000);
    await fsp.utimes(orphan, old, old);

    const body = new PassThrough();
    const writing = store.write(bucket, 'in/live.csv', body);
    body.write('in flight');
    const tempsIn = async (): Promise<string[]> =>
      (await fsp.readdir(folder)).filter((n) => n.startsWith(FS_TEMP_PREFIX));
    for (let i = 0; i < 1000 && (await tempsIn()).length < 2; i++) await macrotask();
    const temps = await tempsIn();
    expect(temps).toHaveLength(2);
    expect(await listKeys(store, bucket)).toEqual(['in/kept.csv']);

    expect(await store.cleanup(bucket, 60_000)).toBe(1);
    expect(existsSync(orphan)).toBe(false);
    body.end();
    await writing;
    expect(await listKeys(store, bucket)).toEqual(['in/kept.csv', 'in/live.csv']);
    // fresh, but its writer (a process of this host) has exited: abandoned at once
    const exited = spawnSync(process.execPath, ['-e', '']).pid;
    const ownName = path.basename(tempName());
    const deadWriters = ownName.replace(`.${process.pid}-`, `.${exited}-`);
    await fsp.writeFile(path.join(folder, deadWriters), 'x');
    // fresh, writer unknown: kept until stale
    await fsp.writeFile(path.join(folder, `${FS_TEMP_PREFIX}killed-2`), 'x');
    expect(await store.cleanup(bucket)).toBe(1);
    expect(existsSync(path.join(folder, deadWriters))).toBe(false);
    expect(await store.cleanup(bucket, 0)).toBe(1);
    expect(await store.cleanup('no-such-bucket')).toBe(0);
  });

  it('a file standing where a folder should be is E_DESTINATION_UNWRITABLE (transient), fixed by the operator', async () => {
    await store.write(bucket, 'reports', Buffer.from('a file, not a folder'));
    const error = await store
      .write(bucket, 'reports/2024/q1.csv', Buffer.from('q1'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({
      code: 'E_DESTINATION_UNWRITABLE',
      details: { path: path.join(data, 'proj', bucket, 'reports') },
    });
    expect((error as Error).cause).toBeDefined();
    await store.delete(bucket, 'reports');
    await store.write(bucket, 'reports/2024/q1.csv', Buffer.from('q1'));
    expect(await readText(store, bucket, 'reports/2024/q1.csv')).toBe('q1');
  });

  it('copy returns the CRC32C of the bytes it copied and keeps no metadata', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024 + 17, 0x5a);
    await store.write(bucket, 'src/big.bin', body, {
      contentType: 'application/octet-stream',
      metadata: { a: 'b' },
    });
    const info = await store.copy(store, { bucket, key: 'src/big.bin' }, { bucket, key: 'dst/big.bin' });
    expect(info.crc32c).toBe(crc32cOf(body));
    expect(info.metadata).toEqual({});
    expect((await store.stat(bucket, 'dst/big.bin'))!.contentType).toBeUndefined();
  });

  it('a large copy holds every byte in order, its checksum compared on both sides', async () => {
    // random bytes: a chunk written twice, skipped or out of place changes the copy and its CRC32C
    const { randomBytes } = await import('node:crypto');
    const body = randomBytes(2 * 8 * 1024 * 1024 + 12_345);
    await store.write(bucket, 'src/chunks.bin', body);
    const info = await store.copy(
      store,
      { bucket, key: 'src/chunks.bin' },
      { bucket, key: 'dst/chunks.bin' },
    );
    const copied = await fsp.readFile(path.join(data, 'proj', bucket, 'dst', 'chunks.bin'));
    expect(copied.equals(body)).toBe(true);
    expect(info.crc32c).toBe(crc32cOf(body));
    expect(info.destinationChecksum).toBe(true);
    expect(info.size).toBe(body.length);
    const left = await fsp.readdir(path.join(data, 'proj', bucket, 'dst'));
    expect(left).toEqual(['chunks.bin']);
  });

  it('rename within one filesystem keeps the inode across projects', async () => {
    const other = new FsStore({ root: path.join(data, 'other'), name: 'fs:other' });
    const source = await other.write('landing', 'in/a.csv', Buffer.from('moving'));
    const inode = statSync(path.join(data, 'other', 'landing', 'in', 'a.csv')).ino;
    const info = await store.rename(
      other,
      { bucket: 'landing', key: 'in/a.csv' },
      { bucket, key: 'out/a.csv' },
    );
    expect(info.generation).toBe(source.generation);
    expect(statSync(path.join(data, 'proj', bucket, 'out', 'a.csv')).ino).toBe(inode);
    expect(await other.stat('landing', 'in/a.csv')).toBeUndefined();
    expect(await listKeys(other, 'landing')).toEqual([]);
    expect(await store.cleanup(bucket)).toBe(0);
  });

  const shm = '/dev/shm';
  const crossDevice = existsSync(shm) && statSync(shm).dev !== statSync(os.tmpdir()).dev;
  it.skipIf(!crossDevice)(
    `rename across filesystems throws E_UNSUPPORTED and leaves the source${crossDevice ? '' : ' [skipped: /dev/shm is missing or on the same filesystem as the temp dir]'}`,
    async () => {
      const shmData = await fsp.mkdtemp(path.join(shm, 'switchyard-'));
      try {
        const far = new FsStore({ root: shmData, name: 'fs:shm' });
        const source = await far.write('landing', 'a.csv', Buffer.from('far away'));
        expect(
          await codeOf(store.rename(far, { bucket: 'landing', key: 'a.csv' }, { bucket, key: 'a.csv' })),
        ).toBe('E_UNSUPPORTED');
        expect((await far.stat('landing', 'a.csv'))!.generation).toBe(source.generation);
        expect(await listKeys(store, bucket)).toEqual([]);
        const copied = await store.copy(far, { bucket: 'landing', key: 'a.csv' }, { bucket, key: 'a.csv' });
        expect(copied.crc32c).toBe(crc32cOf('far away'));
      } finally {
        await fsp.rm(shmData, { recursive: true, force: true });
      }
    },
  );

  it('copy and rename from another backend are refused with E_UNSUPPORTED', async () => {
    const memory = new MemoryStore();
    await memory.write('b', 'k', Buffer.from('x'));
    expect(store.canCopyFrom(memory)).toBe(false);
    expect(await codeOf(store.copy(memory, { bucket: 'b', key: 'k' }, { bucket, key: 'k' }))).toBe(
      'E_UNSUPPORTED',
    );
    expect(await codeOf(store.rename(memory, { bucket: 'b', key: 'k' }, { bucket, key: 'k' }))).toBe(
      'E_UNSUPPORTED',
    );
  });

  it('list walks nested folders in the same order and pages as the reference store', async () => {
    const reference = new MemoryStore();
    const parts = ['a', 'a-b', 'a.b', 'a0', 'b', 'é', 'Z', '_'];
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 16;
    const pick = (): string => parts[next() % parts.length]!;
    const keys = new Set<string>();
    while (keys.size < 120) {
      const depth = 1 + (next() % 3);
      const segments = Array.from({ length: depth }, () => pick());
      segments[segments.length - 1] += '.f';
      keys.add(segments.join('/'));
    }
    for (const key of keys) {
      await store.write(bucket, key, Buffer.from(key));
      await reference.write(bucket, key, Buffer.from(key));
    }
    for (const prefix of [undefined, 'a', 'a/', 'a-', 'a/a', 'é/', 'b/a.b/', 'nothing']) {
      for (const pageSize of [1, 7, 1000]) {
        const ours = (await listAll(store, bucket, prefix, pageSize)).map((i) => i.key);
        const theirs = (await listAll(reference, bucket, prefix, pageSize)).map((i) => i.key);
        expect(ours, `prefix ${prefix} pageSize ${pageSize}`).toEqual(theirs);
      }
    }
  });

  it('a cached folder listing is dropped as soon as the folder changes', async () => {
    const dir = path.join(data, 'proj', bucket);
    await fsp.mkdir(dir, { recursive: true });
    for (const name of ['b.csv', 'd.csv']) await fsp.writeFile(path.join(dir, name), name);
    const cache = new DirListingCache(4, 1, 0);
    const walk = async (after?: string): Promise<string[]> => {
      const held = openDirPath(dir);
      try {
        const options = { prefix: '', limit: 100, location: 'fs:proj/bucket', ...(after ? { after } : {}) };
        return (await walkKeys(held, options, cache)).files.map((f) => f.key);
      } finally {
        closeDir(held);
      }
    };
    const keys = (): Promise<string[]> => walk();
    const settle = async (): Promise<void> => {
      const changed = Number((await fsp.stat(dir, { bigint: true })).ctimeNs / 1_000_000n);
      while (Date.now() < changed + 30) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    await settle();
    expect(await keys()).toEqual(['b.csv', 'd.csv']);
    await fsp.writeFile(path.join(dir, 'c.csv'), 'c');
    expect(await keys()).toEqual(['b.csv', 'c.csv', 'd.csv']);
    await settle();
    expect(await keys()).toEqual(['b.csv', 'c.csv', 'd.csv']);
    await fsp.unlink(path.join(dir, 'b.csv'));
    expect(await keys()).toEqual(['c.csv', 'd.csv']);
    expect(await walk('c.csv')).toEqual(['d.csv']);
  });

  it('OS errors map to the catalogue and keep their cause', () => {
    const os = (code: string): Error => Object.assign(new Error(code), { code, syscall: 'open' });
    const cases: Array<[string, string, string, boolean]> = [
      ['ENOENT', 'read', 'E_NOT_FOUND', false],
      ['ENOENT', 'write', 'E_BACKEND', true],
      ['EACCES', 'write', 'E_DESTINATION_UNWRITABLE', true],
      ['EROFS', 'delete', 'E_DESTINATION_UNWRITABLE', true],
      ['ENOSPC', 'write', 'E_BACKEND', true],
      ['EMFILE', 'read', 'E_BACKEND', true],
      ['EIO', 'read', 'E_BACKEND', true],
      ['ENAMETOOLONG', 'write', 'E_KEY_UNSAFE', false],
    ];
    for (const [errno, op, code, transient] of cases) {
      const cause = os(errno);
      const error = wrapFsError(cause, op, 'fs:p/b/k', '/data/p/b/k');
      expect(error, `${errno} on ${op}`).toMatchObject({ code, transient });
      if (code !== 'E_KEY_UNSAFE') expect(error.cause).toBe(cause);
    }
  });
});
