import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FsStore } from '../../src/storage/fs/store.js';
import { testObjectStore } from '../conformance/store.js';

testObjectStore('fs', async () => {
  const data = await mkdtemp(path.join(os.tmpdir(), 'switchyard-fs-'));
  return {
    store: new FsStore({ root: path.join(data, 'main'), name: 'fs:main' }),
    peer: new FsStore({ root: path.join(data, 'peer'), name: 'fs:peer' }),
    bucket: 'bucket',
    cleanup: () => rm(data, { recursive: true, force: true }),
  };
});
