// S3 server-side multipart copy (UploadPartCopy) above partCopyThresholdBytes.
// fauxqs has no UploadPartCopy, so this runs against a protocol-level test
// double (test/doubles/s3-part-copy-double.ts), not the shared suite.
import { S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, PreconditionError } from '../../src/model/errors.js';
import type { DeliveryRecord } from '../../src/ledger/types.js';
import type { Route } from '../../src/referential/types.js';
import { executeDelivery } from '../../src/router/deliver.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { provenanceToMetadata } from '../../src/storage/provenance.js';
import { createS3Store, type S3Store } from '../../src/storage/s3/store.js';
import { multipartCopy, partRanges } from '../../src/storage/s3/part-copy.js';
import { startS3PartCopyDouble, type S3PartCopyDouble } from '../doubles/s3-part-copy-double.js';

const KIB = 1024;
const ROUTE: Route = {
  id: 'r',
  file: 'routes.csv',
  line: 2,
  sourceProject: 'checked',
  sourceBucket: 'src',
  mask: '.',
  destinationProject: 'checked',
  destinationBucket: 'dst',
  destinationDirectory: '',
  action: 'copy',
  onConflict: 'fail',
  enabled: true,
  allowCycle: false,
};
const env = { KEY: 'test', SECRET: 'test' };

describe('s3 part copy (UploadPartCopy double)', () => {
  let double: S3PartCopyDouble;
  let store: S3Store;
  const body = randomBytes(1300 * KIB);

  /** A store on the double: part copies above 512 KiB, in 256 KiB parts. */
  const storeOnDouble = (name: string, capabilities: { conditionalWrite?: boolean } = {}): S3Store =>
    createS3Store(
      name,
      {
        backend: 's3',
        region: 'us-east-1',
        endpoint: double.endpoint,
        forcePathStyle: true,
        accessKeyIdEnv: 'KEY',
        secretAccessKeyEnv: 'SECRET',
        capabilities: { partCopy: true, ...capabilities },
        partCopyThresholdBytes: 512 * KIB,
        partSizeBytes: 256 * KIB,
      },
      env,
    );

  beforeAll(async () => {
    double = await startS3PartCopyDouble();
    store = storeOnDouble('cloud');
  });
  afterAll(async () => {
    await store?.close();
    await double?.stop();
  });

  it('splits an object into ranges of at most 10,000 parts', () => {
    expect(partRanges(10, 4)).toEqual([
      { start: 0, end: 3 },
      { start: 4, end: 7 },
      { start: 8, end: 9 },
    ]);
    expect(partRanges(100_000, 1)).toHaveLength(10_000);
  });

  it('copies part by part server-side, carrying metadata over, with 0 bytes through the process', async () => {
    double.put('src', 'in/big.bin', body, {
      contentType: 'application/x-big',
      cacheControl: 'no-cache',
      metadata: { owner: 'sales', 'switchyard-route': 'old' },
    });
    const source = await store.stat('src', 'in/big.bin');
    const before = { ...store.stats };
    const provenance = {
      source: 'cloud/src/in/big.bin',
      generation: source!.generation,
      crc32c: crc32cOf(body),
      route: 'r1',
    };
    const info = await store.copy(
      store,
      { bucket: 'src', key: 'in/big.bin' },
      { bucket: 'dst', key: 'out/big.bin' },
      { ifSourceGenerationMatch: source!.generation, ifGenerationMatch: '0', provenance },
    );
    expect(store.stats).toEqual(before);
    expect(double.calls['UploadPartCopy']).toBe(6);
    expect(double.calls['CompleteMultipartUpload']).toBe(1);
    expect(double.openUploads()).toBe(0);
    expect(double.get('dst', 'out/big.bin')?.body.equals(body)).toBe(true);
    expect(info.size).toBe(body.length);
    expect(info.md5).toBeUndefined();
    expect(info.generation).toMatch(/^[0-9a-f]{32}-6@\d+$/);
    expect(info.contentType).toBe('application/x-big');
    expect(info.cacheControl).toBe('no-cache');
    expect(info.metadata).toEqual({ owner: 'sales', ...provenanceToMetadata(provenance) });
    expect(info.provenance).toEqual(provenance);
  });

  it('copies below the threshold with one CopyObject (REPLACE), carrying content headers and metadata over', async () => {
    double.put('src', 'small.csv.gz', Buffer.from('not really gzip'), {
      contentType: 'text/csv',
      contentEncoding: 'gzip',
      cacheControl: 'max-age=60',
      metadata: { owner: 'ops', 'switchyard-source': 'stale/provenance/key' },
    });
    const parts = double.calls['UploadPartCopy'] ?? 0;
    const before = { ...store.stats };
    const provenance = {
      source: 'cloud/src/small.csv.gz',
      generation: 'g1',
      crc32c: crc32cOf('x'),
      route: 'r2',
    };
    const info = await store.copy(
      store,
      { bucket: 'src', key: 'small.csv.gz' },
      { bucket: 'dst', key: 'small.csv.gz' },
      { provenance },
    );
    expect(double.calls['CopyObject']).toBe(1);
    expect(double.calls['UploadPartCopy'] ?? 0).toBe(parts);
    expect(store.stats).toEqual(before);
    const stored = double.get('dst', 'small.csv.gz');
    expect(stored).toMatchObject({
      contentType: 'text/csv',
      contentEncoding: 'gzip',
      cacheControl: 'max-age=60',
    });
    expect(stored?.metadata).toEqual({ owner: 'ops', ...provenanceToMetadata(provenance) });
    expect(info).toMatchObject({
      contentType: 'text/csv',
      contentEncoding: 'gzip',
      cacheControl: 'max-age=60',
      provenance,
    });
    expect(info.md5).toBe(Buffer.from(stored!.etag.replace(/"/g, ''), 'hex').toString('base64'));
  });

  it('takes the source as a stat just saw it (sourceInfo) where the server checks copy conditions or the answer proves the bytes: no HeadObject, a changed source still refused', async () => {
    const checked = storeOnDouble('checked', { conditionalWrite: true });
    const unchecked = storeOnDouble('unchecked', { conditionalWrite: false });
    const heads = () => double.calls['HeadObject'] ?? 0;
    try {
      double.put('src', 'stated.csv', Buffer.from('v1'), {
        contentType: 'text/csv',
        metadata: { owner: 'finance' },
      });
      const stated = (await checked.stat('src', 'stated.csv'))!;
      const options = { ifSourceGenerationMatch: stated.generation, sourceInfo: stated };

      let before = heads();
      const info = await checked.copy(
        checked,
        { bucket: 'src', key: 'stated.csv' },
        { bucket: 'dst', key: 'stated/v1.csv' },
        options,
      );
      // no look at the source, nor (no checksum to learn) at what was written
      expect(heads() - before).toBe(0);
      const { generation, size, etag, md5, created, contentType, metadata } = (await checked.stat(
        'dst',
        'stated/v1.csv',
      ))!;
      expect(info).toMatchObject({ generation, size, etag, md5, created, contentType, metadata });
      expect(double.get('dst', 'stated/v1.csv')).toMatchObject({
        body: Buffer.from('v1'),
        contentType: 'text/csv',
        metadata: { owner: 'finance' },
      });

      // a server that may not check the copy's conditions: the copy's answer (its
      // single-part ETag, the MD5 of what it copied) proves which bytes it took
      before = heads();
      await unchecked.copy(
        unchecked,
        { bucket: 'src', key: 'stated.csv' },
        { bucket: 'dst', key: 'stated/v1-again.csv' },
        options,
      );
      expect(heads() - before).toBe(0);
      // without an MD5 in the stat (a multipart or SSE-KMS ETag) it looks at the source first
      before = heads();
      const { md5: _md5, ...unproven } = stated;
      await unchecked.copy(
        unchecked,
        { bucket: 'src', key: 'stated.csv' },
        { bucket: 'dst', key: 'stated/v1-unproven.csv' },
        { ...options, sourceInfo: unproven },
      );
      expect(heads() - before).toBe(1);

      double.put('src', 'stated.csv', Buffer.from('v2, written since'));
      await expect(
        checked.copy(
          checked,
          { bucket: 'src', key: 'stated.csv' },
          { bucket: 'dst', key: 'stated/stale.csv' },
          options,
        ),
      ).rejects.toBeInstanceOf(PreconditionError);
      expect(double.get('dst', 'stated/stale.csv')).toBeUndefined();
      // unchecked, the copy took the new bytes: its answer's MD5 is not the stated one
      await expect(
        unchecked.copy(
          unchecked,
          { bucket: 'src', key: 'stated.csv' },
          { bucket: 'dst', key: 'stated/stale-unchecked.csv' },
          options,
        ),
      ).rejects.toBeInstanceOf(PreconditionError);
    } finally {
      await checked.close();
      await unchecked.close();
    }
  });

  it('refuses a stale source generation before starting any upload', async () => {
    const creates = double.calls['CreateMultipartUpload'] ?? 0;
    await expect(
      store.copy(
        store,
        { bucket: 'src', key: 'in/big.bin' },
        { bucket: 'dst', key: 'other.bin' },
        { ifSourceGenerationMatch: 'feedfacefeedfacefeedfacefeedface' },
      ),
    ).rejects.toBeInstanceOf(PreconditionError);
    expect(double.calls['CreateMultipartUpload'] ?? 0).toBe(creates);
    expect(double.get('dst', 'other.bin')).toBeUndefined();
  });

  it('aborts the upload when the source changes between parts', async () => {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: double.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const aborts = double.calls['AbortMultipartUpload'] ?? 0;
      await expect(
        multipartCopy({
          client,
          copySource: 'src/in/big.bin',
          sourceEtag: '"0123456789abcdef0123456789abcdef"',
          size: body.length,
          bucket: 'dst',
          key: 'aborted.bin',
          create: {},
          partSizeBytes: 256 * KIB,
          concurrency: 2,
        }),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
      expect(double.calls['AbortMultipartUpload']).toBe(aborts + 1);
      expect(double.openUploads()).toBe(0);
      expect(double.get('dst', 'aborted.bin')).toBeUndefined();
    } finally {
      client.destroy();
    }
  });
  it('a delivery to a server that enforces If-None-Match on CopyObject: one request, no look at the destination first; one already there is judged after the refusal', async () => {
    const checked = storeOnDouble('checked', { conditionalWrite: true });
    const calls = () => ({ ...double.calls });
    const since = (before: Record<string, number>) =>
      Object.fromEntries(
        Object.entries(double.calls)
          .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
          .filter(([, v]) => v > 0),
      );
    try {
      double.put('src', 'd/a.csv', Buffer.from('delivered bytes'), { contentType: 'text/csv' });
      const object = (await checked.stat('src', 'd/a.csv'))!;
      const deliver = (key: string, onConflict: Route['onConflict'] = 'fail') => {
        const now = Date.now();
        const record: DeliveryRecord = {
          id: key,
          source: { project: 'checked', bucket: 'src', key: 'd/a.csv' },
          generation: object.generation,
          routeId: 'r',
          destination: { project: 'checked', bucket: 'dst', key },
          action: 'copy',
          size: object.size,
          state: 'planned',
          attempts: 0,
          createdAt: now,
          updatedAt: now,
        };
        return executeDelivery({
          record,
          route: { ...ROUTE, onConflict },
          source: record.source,
          object,
          sourceStore: checked,
          destinationStore: checked,
          mayRename: false,
          sourceStays: true,
          onWritten: async () => undefined,
        });
      };

      let before = calls();
      await expect(deliver('d/fresh.csv')).resolves.toMatchObject({ state: 'verified' });
      // the source's look is the caller's (object); the copy's answer verifies it (single-part ETag)
      expect(since(before)).toEqual({ CopyObject: 1 });
      expect(double.get('dst', 'd/fresh.csv')?.body).toEqual(Buffer.from('delivered bytes'));

      // delivered again (a re-run): refused by the server, then found holding this generation
      before = calls();
      await expect(deliver('d/fresh.csv')).resolves.toMatchObject({ state: 'verified' });
      // the refusal names who changed (source, destination), the delivery checks its source, then judges
      expect(since(before)).toEqual({ CopyObject: 1, HeadObject: 4 });

      // other bytes there, on_conflict fail: refused by the server, judged a conflict, nothing replaced
      double.put('dst', 'd/taken.csv', Buffer.from('somebody else'));
      await expect(deliver('d/taken.csv')).rejects.toBeInstanceOf(ConflictError);
      expect(double.get('dst', 'd/taken.csv')?.body).toEqual(Buffer.from('somebody else'));
    } finally {
      await checked.close();
    }
  });
});
