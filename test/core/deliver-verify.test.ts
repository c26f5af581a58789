// Verification of a copy when the destination reports its own checksum with
// the write (S3 checksum headers, GCS metadata, FsStore's one-pass copy):
// the report (a CRC32C the destination computed, or the MD5 of an S3
// single-part ETag) is compared with the source's and nothing is read again.
import { describe, expect, it } from 'vitest';
import { ChecksumMismatchError } from '../../src/model/errors.js';
import type { DeliveryRecord } from '../../src/ledger/types.js';
import type { Route } from '../../src/referential/types.js';
import { executeDelivery } from '../../src/router/deliver.js';
import { MemoryBackend, MemoryStore } from '../../src/storage/memory/store.js';
import type { ObjectInfo, ObjectStore } from '../../src/storage/types.js';

const ROUTE: Route = {
  id: 'r',
  file: 'routes.csv',
  line: 2,
  sourceProject: 'src',
  sourceBucket: 'in',
  mask: '.',
  destinationProject: 'dst',
  destinationBucket: 'out',
  destinationDirectory: '',
  action: 'copy',
  onConflict: 'fail',
  enabled: true,
  allowCycle: false,
};

/**
 * Two stores on one memory backend (so copies are server-side); `looks`
 * counts the destination's stat and read calls after the copy.
 */
async function setup(report: (info: ObjectInfo) => ObjectInfo) {
  const backend = new MemoryBackend();
  const src = new MemoryStore({ backend, name: 'memory:src', namespace: 'src' });
  const real = new MemoryStore({ backend, name: 'memory:dst', namespace: 'dst' });
  let copied = false;
  let looks = 0;
  const dst = Object.create(real) as ObjectStore;
  Object.assign(dst, {
    copy: async (...args: Parameters<ObjectStore['copy']>) => {
      const info = report(await real.copy(...args));
      copied = true;
      return info;
    },
    stat: async (...args: Parameters<ObjectStore['stat']>) => {
      if (copied) looks++;
      return real.stat(...args);
    },
    read: async (...args: Parameters<ObjectStore['read']>) => {
      if (copied) looks++;
      return real.read(...args);
    },
  });
  const object = await src.write('in', 'a.csv', Buffer.from('the bytes'));
  const now = Date.now();
  const record: DeliveryRecord = {
    id: 'd1',
    source: { project: 'src', bucket: 'in', key: 'a.csv' },
    generation: object.generation,
    routeId: 'r',
    destination: { project: 'dst', bucket: 'out', key: 'a.csv' },
    action: 'copy',
    size: object.size,
    state: 'planned',
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
  const deliver = () =>
    executeDelivery({
      record,
      route: ROUTE,
      source: record.source,
      object,
      sourceStore: src,
      destinationStore: dst,
      mayRename: false,
      onWritten: async () => undefined,
    });
  return { deliver, looks: () => looks, crc32c: object.crc32c };
}

describe('verifying a copy the destination reported', () => {
  it('a reported checksum equal to the source’s verifies the copy without reading it', async () => {
    const fx = await setup((info) => ({ ...info, destinationChecksum: true }));
    const outcome = await fx.deliver();
    expect(outcome).toMatchObject({ state: 'verified', crc32c: fx.crc32c });
    expect(fx.looks()).toBe(0);
  });

  it('a reported checksum that differs from the source’s fails the delivery (E_CHECKSUM_MISMATCH)', async () => {
    const fx = await setup((info) => ({ ...info, crc32c: 'AAAAAA==', destinationChecksum: true }));
    await expect(fx.deliver()).rejects.toBeInstanceOf(ChecksumMismatchError);
  });

  it('a reported MD5 (an S3 single-part ETag) equal to the source’s verifies the copy without reading it', async () => {
    const fx = await setup(({ crc32c: _crc32c, ...info }) => info);
    const outcome = await fx.deliver();
    expect(outcome).toMatchObject({ state: 'verified' });
    expect(fx.looks()).toBe(0);
  });

  it('a reported MD5 that differs from the source’s fails the delivery, nothing read', async () => {
    const fx = await setup(({ crc32c: _crc32c, ...info }) => ({ ...info, md5: 'AAAAAAAAAAAAAAAAAAAAAA==' }));
    await expect(fx.deliver()).rejects.toBeInstanceOf(ChecksumMismatchError);
    expect(fx.looks()).toBe(0);
  });

  it('without a report, the destination is looked at again to verify it', async () => {
    const fx = await setup(({ md5: _md5, ...info }) => info);
    const outcome = await fx.deliver();
    expect(outcome).toMatchObject({ state: 'verified', crc32c: fx.crc32c });
    expect(fx.looks()).toBe(1); // its stat: a memory store keeps CRC32C like checksum headers
  });
});
