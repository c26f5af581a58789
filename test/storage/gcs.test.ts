import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { createGcsStore } from '../../src/storage/gcs/store.js';
import { testObjectStore } from '../conformance/store.js';
import { startGcsJsonApiDouble, type GcsJsonApiDouble } from '../doubles/gcs-json-api-double.js';

let double: Promise<GcsJsonApiDouble> | undefined;

afterAll(async () => {
  await (await double)?.stop();
});

testObjectStore(
  'gcs (JSON API test double)',
  async () => {
    const { endpoint } = await (double ??= startGcsJsonApiDouble({ rewriteChunkBytes: 64 * 1024 }));
    const config = { backend: 'gcs' as const, apiEndpoint: endpoint, projectId: 'switchyard-test' };
    const store = createGcsStore('lake', config, {});
    const peer = createGcsStore('lake-peer', config, {});
    return { store, peer, bucket: `conf-${randomUUID()}`, cleanup: async () => {} };
  },
  { largeObjectBytes: 32 * 1024 * 1024 },
);
