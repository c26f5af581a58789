// The ObjectStore conformance suite against a real Cloud Storage bucket. Runs
// only when SWITCHYARD_GCS_TEST_BUCKET names a bucket dedicated to tests
// (empty; every case deletes what it wrote) and credentials are given by
// SWITCHYARD_GCS_TEST_KEY_FILE or GOOGLE_APPLICATION_CREDENTIALS (optionally
// SWITCHYARD_GCS_TEST_PROJECT); otherwise it is skipped with the reason.
import { describe, it } from 'vitest';
import { createGcsStore, type GcsStore } from '../../src/storage/gcs/store.js';
import { testObjectStore } from '../conformance/store.js';

const bucket = process.env['SWITCHYARD_GCS_TEST_BUCKET'];
const keyFile = process.env['SWITCHYARD_GCS_TEST_KEY_FILE'] ?? process.env['GOOGLE_APPLICATION_CREDENTIALS'];
const projectId = process.env['SWITCHYARD_GCS_TEST_PROJECT'];

async function emptyBucket(store: GcsStore, name: string): Promise<void> {
  let pageToken: string | undefined;
  do {
    const page = await store.list(name, { pageToken });
    for (const item of page.items) await store.delete(name, item.key).catch(() => {});
    pageToken = page.nextPageToken;
  } while (pageToken);
}

if (!bucket || !keyFile) {
  const reason = !bucket
    ? 'SWITCHYARD_GCS_TEST_BUCKET is not set'
    : 'no credentials (SWITCHYARD_GCS_TEST_KEY_FILE or GOOGLE_APPLICATION_CREDENTIALS)';
  console.warn(`[gcs-live] skipped: ${reason}`);
  describe.skip(`ObjectStore conformance: gcs (live bucket) [skipped: ${reason}]`, () => {
    it('runs the store suite against a real bucket', () => {});
  });
} else {
  const config = { backend: 'gcs' as const, keyFile, ...(projectId ? { projectId } : {}) };
  testObjectStore(
    `gcs (live bucket ${bucket})`,
    async () => {
      const store = createGcsStore('live', config, {});
      const peer = createGcsStore('live-peer', config, {});
      return { store, peer, bucket, cleanup: () => emptyBucket(store, bucket) };
    },
    { largeObjectBytes: 16 * 1024 * 1024 },
  );
}
