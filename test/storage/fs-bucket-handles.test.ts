// The local-folder store shares a bucket folder's handle among operations
// that run at once (FsStore.acquireBucket): only for a short while after it
// was opened, and never past its last user. Local-folder store only (it is
// about the store's folder handles); Linux only, where acts go through
// /proc/self/fd and a handle can be seen there.
import { existsSync, promises as fsp, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { RACE_FREE } from '../../src/storage/fs/dirs.js';
import { BUCKET_HANDLE_REUSE_MS, FsStore } from '../../src/storage/fs/store.js';

let data: string;
let store: FsStore;
const bucket = 'bucket';

beforeEach(async () => {
  data = realpathSync(await fsp.mkdtemp(path.join(os.tmpdir(), 'switchyard-fs-handles-')));
  store = new FsStore({ root: path.join(data, 'proj'), name: 'fs:proj' });
  await fsp.mkdir(path.join(data, 'proj', bucket), { recursive: true });
});
afterEach(async () => {
  await fsp.rm(data, { recursive: true, force: true });
});

/** This process's descriptors open on `folder`. */
function handlesOn(folder: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === folder) count++;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

it.skipIf(!RACE_FREE)(
  'a bucket folder moved away while a move holds its handle: operations begun later act in the folder now at its path, and no handle stays open',
  async () => {
    const folder = path.join(data, 'proj', bucket);
    const aside = path.join(data, 'aside');
    await fsp.writeFile(path.join(folder, 'a.txt'), 'a');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => fsp.writeFile(path.join(folder, `f${i}.txt`), `f${i}`)),
    );
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let paused!: () => void;
    const reached = new Promise<void>((resolve) => (paused = resolve));
    const moving = store.rename(
      store,
      { bucket, key: 'a.txt' },
      { bucket, key: 'moved/a.txt' },
      {
        beforeSourceRemoved: async () => {
          paused();
          await gate;
        },
      },
    );
    await reached;
    // operations while the move holds the handle share it, and see the folder it holds
    const seen = await Promise.all(Array.from({ length: 20 }, (_, i) => store.stat(bucket, `f${i}.txt`)));
    expect(seen.every((info) => info !== undefined)).toBe(true);

    await fsp.rename(folder, aside);
    await fsp.mkdir(folder);
    // past the window a handle is shared in: the next operation opens the folder at the path again
    await new Promise((resolve) => setTimeout(resolve, BUCKET_HANDLE_REUSE_MS + 20));
    await store.write(bucket, 'new.txt', Buffer.from('new'));
    expect(existsSync(path.join(folder, 'new.txt'))).toBe(true);
    expect(existsSync(path.join(aside, 'new.txt'))).toBe(false);

    release();
    await moving;
    // the move finished in the folder it began in, now moved aside
    expect(existsSync(path.join(aside, 'moved', 'a.txt'))).toBe(true);
    expect(handlesOn(folder)).toBe(0);
    expect(handlesOn(aside)).toBe(0);
  },
);
