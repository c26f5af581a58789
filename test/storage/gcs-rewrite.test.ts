// GCS-only behaviour the shared conformance suite cannot express: multi-call
// rewrites, gzip-stored objects copied and read as stored, metadata carried
// over a rewrite, composite objects without MD5. Runs against the JSON API
// test double (test/doubles/gcs-json-api-double.ts).
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PreconditionError } from '../../src/model/errors.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { createGcsStore, type GcsStore } from '../../src/storage/gcs/store.js';
import { provenanceToMetadata } from '../../src/storage/provenance.js';
import { startGcsJsonApiDouble, type GcsJsonApiDouble } from '../doubles/gcs-json-api-double.js';

const KIB = 1024;

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('gcs store on the JSON API double', () => {
  let double: GcsJsonApiDouble;
  let store: GcsStore;

  beforeAll(async () => {
    double = await startGcsJsonApiDouble({ rewriteChunkBytes: 256 * KIB });
    store = createGcsStore(
      'lake',
      { backend: 'gcs', apiEndpoint: double.endpoint, projectId: 'test', resumableThresholdBytes: 64 * KIB },
      {},
    );
  });
  beforeEach(() => double.reset());
  afterAll(async () => {
    await double?.stop();
  });

  it('writes (simple and resumable), stats, reads, lists and deletes', async () => {
    const small = Buffer.from('hello gcs');
    const big = randomBytes(200 * KIB);
    const a = await store.write('in', 'a/small.txt', small, {
      contentType: 'text/plain',
      metadata: { team: 'x' },
    });
    const b = await store.write('in', 'a/big.bin', big, { ifGenerationMatch: '0' });
    expect(double.calls['objects.insert.multipart']).toBe(1);
    expect(double.calls['objects.insert.resumable']).toBe(1);
    expect(a.crc32c).toBe(crc32cOf(small));
    expect(b.size).toBe(big.length);
    expect((await store.stat('in', 'a/small.txt'))?.metadata).toEqual({ team: 'x' });
    expect(
      (await bytesOf(await store.read('in', 'a/big.bin', { generation: b.generation }))).equals(big),
    ).toBe(true);
    const page1 = await store.list('in', { prefix: 'a/', pageSize: 1 });
    expect(page1.items.map((i) => i.key)).toEqual(['a/big.bin']);
    const page2 = await store.list('in', { prefix: 'a/', pageSize: 1, pageToken: page1.nextPageToken });
    expect(page2.items.map((i) => i.key)).toEqual(['a/small.txt']);
    expect(page2.nextPageToken).toBeUndefined();
    await expect(
      store.delete('in', 'a/small.txt', { ifGenerationMatch: b.generation }),
    ).rejects.toBeInstanceOf(PreconditionError);
    await store.delete('in', 'a/small.txt', { ifGenerationMatch: a.generation });
    expect(await store.stat('in', 'a/small.txt')).toBeUndefined();
  });

  it('copies a large object by a multi-call rewrite, 0 bytes through the process, metadata carried over', async () => {
    const body = randomBytes(1000 * KIB);
    const seeded = double.put('in', 'big/data.bin', body, {
      contentType: 'application/x-data',
      cacheControl: 'private, max-age=0',
      metadata: { owner: 'sales', 'switchyard-route': 'previous-route' },
    });
    const before = { ...store.stats };
    const calls = store.rewriteCalls;
    const provenance = {
      source: 'lake/in/big/data.bin',
      generation: seeded.generation,
      crc32c: seeded.crc32c,
      route: 'archive',
    };
    const info = await store.copy(
      store,
      { bucket: 'in', key: 'big/data.bin' },
      { bucket: 'out', key: 'archive/data.bin' },
      { ifSourceGenerationMatch: seeded.generation, ifGenerationMatch: '0', provenance },
    );
    expect(double.calls['objects.rewrite']).toBe(4);
    expect(double.rewritesInProgress).toBe(3);
    expect(store.rewriteCalls - calls).toBe(4);
    expect(store.stats).toEqual(before);
    expect(double.get('out', 'archive/data.bin')?.body.equals(body)).toBe(true);
    expect(info).toMatchObject({ size: body.length, crc32c: crc32cOf(body), md5: seeded.md5Hash });
    expect(info.contentType).toBe('application/x-data');
    expect(info.cacheControl).toBe('private, max-age=0');
    expect(info.metadata).toEqual({ owner: 'sales', ...provenanceToMetadata(provenance) });
    expect(info.provenance).toEqual(provenance);
    expect((await store.stat('out', 'archive/data.bin'))?.generation).toBe(info.generation);
  });

  it('reads and copies a gzip-encoded object as stored, never transcoded', async () => {
    const csv = Buffer.from('id,amount\n'.repeat(5000));
    const gzipped = gzipSync(csv);
    const written = await store.write('in', 'sales.csv.gz', gzipped, {
      contentType: 'text/csv',
      contentEncoding: 'gzip',
    });
    expect(written).toMatchObject({
      size: gzipped.length,
      crc32c: crc32cOf(gzipped),
      contentEncoding: 'gzip',
    });
    const bytesIn = store.stats.bytesIn;
    const read = await bytesOf(await store.read('in', 'sales.csv.gz'));
    expect(read.equals(gzipped)).toBe(true);
    expect(store.stats.bytesIn - bytesIn).toBe(gzipped.length);
    const copied = await store.copy(
      store,
      { bucket: 'in', key: 'sales.csv.gz' },
      { bucket: 'out', key: 'sales.csv.gz' },
    );
    expect(copied).toMatchObject({
      size: gzipped.length,
      crc32c: written.crc32c,
      md5: written.md5,
      contentEncoding: 'gzip',
    });
    expect(double.get('out', 'sales.csv.gz')?.body.equals(gzipped)).toBe(true);
  });

  it('refuses a rewrite whose source changed, and a stale-generation delete', async () => {
    const first = await store.write('in', 'moving.csv', Buffer.from('one'));
    const second = await store.write('in', 'moving.csv', Buffer.from('two'));
    await expect(
      store.copy(
        store,
        { bucket: 'in', key: 'moving.csv' },
        { bucket: 'out', key: 'moving.csv' },
        { ifSourceGenerationMatch: first.generation },
      ),
    ).rejects.toMatchObject({
      code: 'E_PRECONDITION',
      details: { expected: first.generation, actual: second.generation },
    });
    await expect(
      store.delete('in', 'moving.csv', { ifGenerationMatch: first.generation }),
    ).rejects.toBeInstanceOf(PreconditionError);
    expect(double.get('in', 'moving.csv')?.body.toString()).toBe('two');
    expect(double.get('out', 'moving.csv')).toBeUndefined();
  });

  it('reports no MD5 for a composite object, and its CRC32C', async () => {
    const seeded = double.put('in', 'composed.bin', Buffer.from('part1part2'), { composite: true });
    const info = await store.stat('in', 'composed.bin');
    expect(info?.md5).toBeUndefined();
    expect(info?.crc32c).toBe(seeded.crc32c);
  });

  it('cannot rewrite from a store with another endpoint or credentials', async () => {
    const other = createGcsStore(
      'elsewhere',
      { backend: 'gcs', apiEndpoint: 'http://127.0.0.1:1', projectId: 'test' },
      {},
    );
    expect(store.canCopyFrom(other)).toBe(false);
    await expect(
      store.copy(other, { bucket: 'in', key: 'x' }, { bucket: 'out', key: 'x' }),
    ).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
  });
});
