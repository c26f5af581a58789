// S3 object identity without versioning, against fauxqs (whose listing
// answers milliseconds while HeadObject answers whole seconds, as MinIO does):
// the same bytes written again are a new generation, every call names one
// object alike, and the generation's conditions refuse a rewritten object.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3ProjectConfig } from '../../src/storage/s3/config.js';
import { PreconditionError } from '../../src/model/errors.js';
import { parseS3Event } from '../../src/notifications/s3-event.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { proveSameBytes } from '../../src/storage/same-bytes.js';
import { createS3Store, type S3Store } from '../../src/storage/s3/store.js';
import type { ObjectInfo } from '../../src/storage/types.js';
import { FAUXQS_ACCESS_KEY_ENV, FAUXQS_SECRET_KEY_ENV, startFauxqs, type Fauxqs } from '../helpers/fauxqs.js';

const BODY = Buffer.from('id,amount\n1,100\n');

/** Resolves once the clock is past the whole second `info` was written in (fauxqs shares this clock). */
async function pastSecondOf(info: ObjectInfo): Promise<void> {
  const next = (Math.floor(info.updated.getTime() / 1000) + 1) * 1000;
  while (Date.now() < next) await new Promise((resolve) => setTimeout(resolve, next - Date.now()));
}

/** An S3 `ObjectCreated:Put` notification for `key` as an unversioned bucket sends it. */
function createdEvent(bucket: string, key: string, info: ObjectInfo) {
  return {
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        eventTime: new Date().toISOString(),
        s3: {
          bucket: { name: bucket },
          object: { key: encodeURIComponent(key), size: info.size, eTag: info.etag, sequencer: '01' },
        },
      },
    ],
  };
}

describe('s3 identity without versioning (fauxqs)', () => {
  let fauxqs: Fauxqs;
  let store: S3Store;

  beforeAll(async () => {
    fauxqs = await startFauxqs();
    await fauxqs.createBucket('land');
    await fauxqs.createBucket('lake');
    const config: S3ProjectConfig = {
      backend: 's3',
      region: fauxqs.region,
      endpoint: fauxqs.endpoint,
      forcePathStyle: true,
      accessKeyIdEnv: FAUXQS_ACCESS_KEY_ENV,
      secretAccessKeyEnv: FAUXQS_SECRET_KEY_ENV,
    };
    store = createS3Store('cloud', config, fauxqs.env);
  });
  afterAll(async () => {
    await store?.close();
    await fauxqs?.stop();
  });

  const listed = async (bucket: string, key: string) =>
    (await store.list(bucket, { prefix: key })).items.find((i) => i.key === key);

  it('names one object alike from the write, a look, a listing and (through the look) an event', async () => {
    const written = await store.write('land', 'one.csv', BODY);
    const stat = await store.stat('land', 'one.csv');
    const item = await listed('land', 'one.csv');
    expect(stat?.generation).toBe(written.generation);
    expect(item?.generation).toBe(written.generation);
    const [event] = parseS3Event(createdEvent('land', 'one.csv', written)).events;
    // the event cannot know LastModified: it names no generation rather than another one
    expect(event?.generation).toBeUndefined();
    expect(written.generation.startsWith(`${written.etag}@`)).toBe(true);
  });

  it('makes the same bytes sent again after the first copy was consumed a new generation', async () => {
    const first = await store.write('land', 'sales.csv', BODY);
    await store.copy(
      store,
      { bucket: 'land', key: 'sales.csv' },
      { bucket: 'lake', key: 'sales.csv' },
      {
        ifSourceGenerationMatch: first.generation,
      },
    );
    await store.delete('land', 'sales.csv', { ifGenerationMatch: first.generation });
    await store.delete('lake', 'sales.csv');
    await pastSecondOf(first);

    const again = await store.write('land', 'sales.csv', BODY);
    expect(again.etag).toBe(first.etag);
    expect(again.generation).not.toBe(first.generation);
    expect((await store.stat('land', 'sales.csv'))?.generation).toBe(again.generation);
    expect((await listed('land', 'sales.csv'))?.generation).toBe(again.generation);
  });

  it('refuses to delete, read, copy or overwrite an object written again since, even with equal bytes', async () => {
    const first = await store.write('land', 'kept.csv', BODY);
    await pastSecondOf(first);
    const again = await store.write('land', 'kept.csv', Readable.from([BODY]));
    expect(again.etag).toBe(first.etag);

    const stale = { ifGenerationMatch: first.generation };
    await expect(store.delete('land', 'kept.csv', stale)).rejects.toBeInstanceOf(PreconditionError);
    await expect(store.read('land', 'kept.csv', { generation: first.generation })).rejects.toMatchObject({
      code: 'E_PRECONDITION',
      details: { expected: first.generation, actual: again.generation },
    });
    await expect(
      store.copy(
        store,
        { bucket: 'land', key: 'kept.csv' },
        { bucket: 'lake', key: 'kept.csv' },
        {
          ifSourceGenerationMatch: first.generation,
        },
      ),
    ).rejects.toBeInstanceOf(PreconditionError);
    await expect(store.write('land', 'kept.csv', BODY, stale)).rejects.toBeInstanceOf(PreconditionError);
    expect((await store.stat('land', 'kept.csv'))?.generation).toBe(again.generation);

    await store.delete('land', 'kept.csv', { ifGenerationMatch: again.generation });
    expect(await store.stat('land', 'kept.csv')).toBeUndefined();
  });

  it('proves from one look that a destination holds the bytes: MD5 of a single-part ETag', async () => {
    const source = await store.write('land', 'proof.csv', BODY);
    await store.copy(store, { bucket: 'land', key: 'proof.csv' }, { bucket: 'lake', key: 'proof.csv' });
    const destination = await store.stat('lake', 'proof.csv');
    // fauxqs reports no CRC32C: the ETag (an MD5 here) is the proof
    expect(destination?.crc32c).toBeUndefined();
    expect(proveSameBytes(source, destination!)).toBe('same');
    await store.write('lake', 'proof.csv', Buffer.from('id,amount\n1,999\n'));
    expect(proveSameBytes(source, (await store.stat('lake', 'proof.csv'))!)).toBe('different');
    expect(proveSameBytes({ size: BODY.length, crc32c: crc32cOf(BODY) }, destination!)).toBe('unknown');
  });
});
