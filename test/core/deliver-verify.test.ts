// Verification of a copy when the destination reports its own checksum with
// the write (S3 checksum headers, GCS metadata, FsStore's one-pass copy):
// the report (a CRC32C the destination computed, or the MD5 of an S3
// single-part ETag) is compared with the source's and nothing is read again.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChecksumMismatchError } from '../../src/model/errors.js';
import type { DeliveryRecord } from '../../src/ledger/types.js';
import type { Route } from '../../src/referential/types.js';
import { executeDelivery } from '../../src/router/deliver.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { FsStore } from '../../src/storage/fs/store.js';
import { MemoryBackend, MemoryStore } from '../../src/storage/memory/store.js';
import type { ObjectInfo, ObjectStore } from '../../src/storage/types.js';
import { tempDir } from '../helpers/router-fixture.js';

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

/** A planned delivery of `object` from `src/in` to `dst/out`, same key. */
function recordOf(object: ObjectInfo): DeliveryRecord {
  const now = Date.now();
  return {
    id: 'd1',
    source: { project: 'src', bucket: 'in', key: object.key },
    generation: object.generation,
    routeId: 'r',
    destination: { project: 'dst', bucket: 'out', key: object.key },
    action: 'copy',
    size: object.size,
    state: 'planned',
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
}

function deliverWith(
  object: ObjectInfo,
  src: ObjectStore,
  dst: ObjectStore,
  onWritten: () => Promise<void> = async () => undefined,
) {
  const record = recordOf(object);
  return executeDelivery({
    record,
    route: ROUTE,
    source: record.source,
    object,
    sourceStore: src,
    destinationStore: dst,
    mayRename: false,
    sourceStays: true,
    onWritten,
  });
}

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
  /** The destination's looks when the delivery reported `written`, one entry per report. */
  const written: number[] = [];
  const deliver = () => deliverWith(object, src, dst, async () => void written.push(looks));
  return { deliver, looks: () => looks, written, crc32c: object.crc32c };
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
    // the ledger hears `written` before that look: a crash during it leaves the copy known as written
    expect(fx.written).toEqual([0]);
  });

  it('a copy its answer proves goes to verified with no written step of its own (one ledger write less)', async () => {
    for (const report of [
      (info: ObjectInfo) => ({ ...info, destinationChecksum: true }),
      ({ crc32c: _crc32c, ...info }: ObjectInfo) => info,
    ]) {
      const fx = await setup(report);
      await expect(fx.deliver()).resolves.toMatchObject({ state: 'verified' });
      expect(fx.written).toEqual([]);
    }
  });
});

describe('verifying a copy whose source states no checksum (local folders)', () => {
  let remove: (() => Promise<void>) | undefined;
  afterEach(async () => remove?.());

  async function folders() {
    const tmp = await tempDir();
    remove = tmp.remove;
    return {
      src: new FsStore({ root: path.join(tmp.dir, 'src') }),
      dst: new FsStore({ root: path.join(tmp.dir, 'dst') }),
      file: (key: string) => path.join(tmp.dir, 'dst', 'out', key),
    };
  }

  it('fs → fs: the CRC32C the copy computed over the bytes it read and wrote verifies it; the destination is not read back', async () => {
    const { src, dst, file } = await folders();
    const bytes = Buffer.from('the bytes of a local copy');
    const object = await src.write('in', 'a.csv', bytes);
    expect(object.crc32c).toBeDefined(); // the write's answer; a look at a local file states none
    const { crc32c: _crc, ...looked } = object;
    const readChecksum = vi.spyOn(dst, 'readChecksum');
    const read = vi.spyOn(dst, 'read');
    const outcome = await deliverWith(looked, src, dst);
    expect(outcome).toMatchObject({ state: 'verified', crc32c: crc32cOf(bytes) });
    expect(readChecksum).not.toHaveBeenCalled();
    expect(read).not.toHaveBeenCalled();
    expect(await readFile(file('a.csv'))).toEqual(bytes);
  });

  it('a streamed copy whose destination states a CRC32C other than that of the bytes sent fails (E_CHECKSUM_MISMATCH)', async () => {
    const { dst } = await folders();
    const src = new MemoryStore({ name: 'memory:src' });
    const { crc32c: _crc, md5: _md5, ...object } = await src.write('in', 'a.csv', Buffer.from('the bytes'));
    const write = dst.write.bind(dst);
    vi.spyOn(dst, 'write').mockImplementation(async (...args) => ({
      ...(await write(...args)),
      crc32c: 'AAAAAA==',
      destinationChecksum: true,
    }));
    const readChecksum = vi.spyOn(dst, 'readChecksum');
    await expect(deliverWith(object, src, dst)).rejects.toBeInstanceOf(ChecksumMismatchError);
    expect(readChecksum).not.toHaveBeenCalled();
  });

  describe('a transform into local folders (which keep no provenance)', () => {
    const JSONL = '{"id":"1","v":"a"}\n{"id":"2","v":"b"}\n';
    const transformed = (object: ObjectInfo, src: ObjectStore, dst: ObjectStore) => {
      const record = { ...recordOf(object), destination: { project: 'dst', bucket: 'out', key: 't.jsonl' } };
      return executeDelivery({
        record,
        route: { ...ROUTE, transform: 'csv-to-jsonl' },
        source: record.source,
        object,
        sourceStore: src,
        destinationStore: dst,
        mayRename: false,
        sourceStays: true,
        onWritten: async () => undefined,
      });
    };

    it("reads the source once: the write's own pass is the output's identity, verified by what the destination states", async () => {
      const { src, dst, file } = await folders();
      const object = await src.write('in', 't.csv', Buffer.from('id,v\n1,a\n2,b\n'));
      const read = vi.spyOn(src, 'read');
      const outcome = await transformed(object, src, dst);
      expect(outcome).toMatchObject({ state: 'verified', crc32c: crc32cOf(JSONL) });
      expect(read).toHaveBeenCalledTimes(1);
      expect((await readFile(file('t.jsonl'))).toString()).toBe(JSONL);
    });

    it('a key already taken is judged by a pass of its own first: the same output is delivered, nothing written', async () => {
      const { src, dst } = await folders();
      const object = await src.write('in', 't.csv', Buffer.from('id,v\n1,a\n2,b\n'));
      const there = await dst.write('out', 't.jsonl', Buffer.from(JSONL));
      const write = vi.spyOn(dst, 'write');
      const outcome = await transformed(object, src, dst);
      expect(outcome).toMatchObject({ state: 'verified', crc32c: crc32cOf(JSONL), bytesThroughProcess: 0 });
      expect(write).not.toHaveBeenCalled();
      expect((await dst.stat('out', 't.jsonl'))?.generation).toBe(there.generation);
    });

    it('a destination stating other bytes than the pass streamed fails the delivery (E_CHECKSUM_MISMATCH)', async () => {
      const { src, dst } = await folders();
      const object = await src.write('in', 't.csv', Buffer.from('id,v\n1,a\n2,b\n'));
      const write = dst.write.bind(dst);
      vi.spyOn(dst, 'write').mockImplementation(async (...args) => ({
        ...(await write(...args)),
        crc32c: 'AAAAAA==',
        destinationChecksum: true,
      }));
      await expect(transformed(object, src, dst)).rejects.toBeInstanceOf(ChecksumMismatchError);
    });
  });
});
