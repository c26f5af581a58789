// Bucket identities (ObjectStore.bucketIdentity, bucketIdentityOf): what the
// router compares to tell that a destination is the source, whatever the
// buckets are called. Local folders resolve symbolic links; the in-memory
// store tells backends and namespaces apart; a store without the method
// (the cloud ones) is `backend:bucket`.
import { realpathSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fsMeta } from '../../src/storage/fs/meta.js';
import { FsStore } from '../../src/storage/fs/store.js';
import { bucketIdentityOf } from '../../src/storage/identity.js';
import { MemoryBackend, MemoryStore } from '../../src/storage/memory/store.js';
import type { ObjectStore } from '../../src/storage/types.js';
import { tempDir } from '../helpers/router-fixture.js';

describe('bucket identity', () => {
  let remove: (() => Promise<void>) | undefined;
  afterEach(async () => remove?.());

  it('fs: a bucket folder that is a link to another bucket has its identity; distinct folders differ', async () => {
    const tmp = await tempDir();
    remove = tmp.remove;
    await mkdir(path.join(tmp.dir, 'src', 'in'), { recursive: true });
    await mkdir(path.join(tmp.dir, 'src', 'other'), { recursive: true });
    await mkdir(path.join(tmp.dir, 'mirror'), { recursive: true });
    await symlink(path.join(tmp.dir, 'src', 'in'), path.join(tmp.dir, 'mirror', 'out'));
    const src = new FsStore({ root: path.join(tmp.dir, 'src') });
    const mirror = new FsStore({ root: path.join(tmp.dir, 'mirror') });
    const inId = await bucketIdentityOf(src, 'in');
    expect(await bucketIdentityOf(mirror, 'out')).toBe(inId);
    expect(await bucketIdentityOf(src, 'other')).not.toBe(inId);
    expect(await bucketIdentityOf(src, 'in')).toBe(inId);
  });

  it('fs: a bucket folder not created yet is named through its nearest existing parent', async () => {
    const tmp = await tempDir();
    remove = tmp.remove;
    await mkdir(path.join(tmp.dir, 'real'), { recursive: true });
    await symlink(path.join(tmp.dir, 'real'), path.join(tmp.dir, 'alias'));
    const viaAlias = new FsStore({ root: path.join(tmp.dir, 'alias') });
    const viaReal = new FsStore({ root: path.join(tmp.dir, 'real') });
    expect(await bucketIdentityOf(viaAlias, 'later')).toBe(await bucketIdentityOf(viaReal, 'later'));
  });

  it('fs: lookups of a missing folder made together share one resolution; a later one resolves again', async () => {
    const tmp = await tempDir();
    remove = tmp.remove;
    await mkdir(path.join(tmp.dir, 'root'), { recursive: true });
    await mkdir(path.join(tmp.dir, 'elsewhere'), { recursive: true });
    const store = new FsStore({ root: path.join(tmp.dir, 'root') });
    const realpath = vi.spyOn(fsMeta, 'realpath');
    try {
      const together = await Promise.all(Array.from({ length: 50 }, () => bucketIdentityOf(store, 'later')));
      expect(new Set(together).size).toBe(1);
      // the missing folder, then its parent: one resolution for the fifty
      expect(realpath).toHaveBeenCalledTimes(2);
      // made since, as a link elsewhere: the next lookup resolves again and follows it
      await symlink(path.join(tmp.dir, 'elsewhere'), path.join(tmp.dir, 'root', 'later'));
      const after = await bucketIdentityOf(store, 'later');
      expect(after).toBe(`fs:${realpathSync(path.join(tmp.dir, 'elsewhere'))}`);
      expect(after).not.toBe(together[0]);
    } finally {
      realpath.mockRestore();
    }
  });

  it('memory: one namespace on one backend is one place; another namespace or backend is not', async () => {
    const backend = new MemoryBackend();
    const a = new MemoryStore({ backend, namespace: 'p' });
    const b = new MemoryStore({ backend, name: 'other-name', namespace: 'p' });
    const c = new MemoryStore({ backend, namespace: 'q' });
    const d = new MemoryStore({ backend: new MemoryBackend(), namespace: 'p' });
    const id = await bucketIdentityOf(a, 'x');
    expect(await bucketIdentityOf(b, 'x')).toBe(id);
    expect(await bucketIdentityOf(c, 'x')).not.toBe(id);
    expect(await bucketIdentityOf(d, 'x')).not.toBe(id);
  });

  it('a store without bucketIdentity is named by backend and bucket', async () => {
    const cloud = { backend: 's3' } as ObjectStore;
    expect(await bucketIdentityOf(cloud, 'lake')).toBe('s3:lake');
    expect(await bucketIdentityOf({ backend: 'gcs' } as ObjectStore, 'lake')).toBe('gcs:lake');
  });
});
