import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import type { S3ProjectConfig } from '../../src/storage/s3/config.js';
import { createS3Store, type S3Store } from '../../src/storage/s3/store.js';
import { testObjectStore } from '../conformance/store.js';
import { FAUXQS_ACCESS_KEY_ENV, FAUXQS_SECRET_KEY_ENV, startFauxqs, type Fauxqs } from '../helpers/fauxqs.js';

const MIB = 1024 * 1024;
let fauxqs: Promise<Fauxqs> | undefined;
const server = () => (fauxqs ??= startFauxqs());

afterAll(async () => {
  await (await fauxqs)?.stop();
});

function s3Config(f: Fauxqs): S3ProjectConfig {
  return {
    backend: 's3',
    region: f.region,
    endpoint: f.endpoint,
    forcePathStyle: true,
    accessKeyIdEnv: FAUXQS_ACCESS_KEY_ENV,
    secretAccessKeyEnv: FAUXQS_SECRET_KEY_ENV,
    // fauxqs refuses request bodies above 11 MiB.
    partSizeBytes: 5 * MIB,
  };
}

async function emptyAndClose(store: S3Store, bucket: string): Promise<void> {
  let pageToken: string | undefined;
  do {
    const page = await store.list(bucket, { pageToken });
    for (const item of page.items) await store.delete(bucket, item.key);
    pageToken = page.nextPageToken;
  } while (pageToken);
  await store.close();
}

testObjectStore(
  's3 (fauxqs 1.9.2)',
  async () => {
    const f = await server();
    const bucket = `conf-${randomUUID()}`;
    await f.createBucket(bucket);
    const store = createS3Store('cloud', s3Config(f), f.env);
    const peer = createS3Store('cloud-peer', s3Config(f), f.env);
    return {
      store,
      bucket,
      peer,
      cleanup: async () => {
        await emptyAndClose(store, bucket);
        await peer.close();
      },
    };
  },
  // 48 MiB keeps the suite quick: ten multipart parts of 5 MiB, about 25 MiB held at once.
  { largeObjectBytes: 48 * MIB },
);
