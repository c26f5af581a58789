// S3-only behaviour the shared conformance suite cannot express: server-side
// copies that move 0 bytes through the process, multipart uploads, metadata
// carried over a copy, header-unsafe metadata values. Runs against fauxqs.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3ProjectConfig } from '../../src/storage/s3/config.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { provenanceToMetadata } from '../../src/storage/provenance.js';
import { createS3Store, type S3Store } from '../../src/storage/s3/store.js';
import { FAUXQS_ACCESS_KEY_ENV, FAUXQS_SECRET_KEY_ENV, startFauxqs, type Fauxqs } from '../helpers/fauxqs.js';

const MIB = 1024 * 1024;

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('s3 store on fauxqs', () => {
  let fauxqs: Fauxqs;
  let store: S3Store;
  const config = (): S3ProjectConfig => ({
    backend: 's3',
    region: fauxqs.region,
    endpoint: fauxqs.endpoint,
    forcePathStyle: true,
    accessKeyIdEnv: FAUXQS_ACCESS_KEY_ENV,
    secretAccessKeyEnv: FAUXQS_SECRET_KEY_ENV,
    partSizeBytes: 5 * MIB,
  });

  beforeAll(async () => {
    fauxqs = await startFauxqs();
    await fauxqs.createBucket('src');
    await fauxqs.createBucket('dst');
    store = createS3Store('cloud', config(), fauxqs.env);
  });
  afterAll(async () => {
    await store?.close();
    await fauxqs?.stop();
  });

  it('writes, stats, reads, lists and deletes', async () => {
    const body = Buffer.from('hello s3');
    const info = await store.write('src', 'a/b.txt', body, {
      contentType: 'text/plain',
      metadata: { team: 'sales' },
    });
    expect(info.size).toBe(body.length);
    expect(info.crc32c).toBe(crc32cOf(body));
    const stat = await store.stat('src', 'a/b.txt');
    expect(stat?.generation).toBe(info.generation);
    expect(stat?.metadata).toEqual({ team: 'sales' });
    expect(await bytesOf(await store.read('src', 'a/b.txt'))).toEqual(body);
    const page = await store.list('src', { prefix: 'a/' });
    expect(page.items.map((i) => i.key)).toEqual(['a/b.txt']);
    await store.delete('src', 'a/b.txt', { ifGenerationMatch: info.generation });
    expect(await store.stat('src', 'a/b.txt')).toBeUndefined();
  });

  it('streams a large body as a multipart upload: no MD5 from its ETag, CRC32C computed while sending', async () => {
    const parts = [randomBytes(5 * MIB), randomBytes(5 * MIB), randomBytes(2 * MIB)];
    const body = Buffer.concat(parts);
    const before = store.stats.bytesOut;
    const info = await store.write('src', 'big/multi.bin', Readable.from(parts), { size: body.length });
    expect(store.stats.bytesOut - before).toBe(body.length);
    expect(info.size).toBe(body.length);
    expect(info.etag).toMatch(/^[0-9a-f]{32}-3$/);
    expect(info.generation).toBe(`${info.etag}@${Math.floor(info.updated.getTime() / 1000)}`);
    expect(info.md5).toBeUndefined();
    expect(info.crc32c).toBe(crc32cOf(body));
    const stat = await store.stat('src', 'big/multi.bin');
    expect(stat?.md5).toBeUndefined();
    expect(stat?.crc32c).toBeUndefined();
    const single = await store.write('src', 'small.bin', Buffer.from('abc'));
    expect(single.md5).toBe(createHash('md5').update('abc').digest('base64'));
  });

  it('copies S3 to S3 with CopyObject: 0 bytes through the process, metadata and provenance carried', async () => {
    await store.write('src', 'in/sales_fr.csv', Buffer.from('id\n1\n'), {
      contentType: 'text/csv',
      metadata: { owner: 'sales', 'switchyard-route': 'stale' },
    });
    const source = await store.stat('src', 'in/sales_fr.csv');
    const peer = createS3Store('cloud-peer', config(), fauxqs.env);
    try {
      expect(peer.canCopyFrom(store)).toBe(true);
      const before = { store: { ...store.stats }, peer: { ...peer.stats } };
      const provenance = {
        source: 'cloud/src/in/sales_fr.csv',
        generation: source!.generation,
        crc32c: crc32cOf('id\n1\n'),
        route: 'fr',
      };
      const info = await peer.copy(
        store,
        { bucket: 'src', key: 'in/sales_fr.csv' },
        { bucket: 'dst', key: 'fr/sales.csv' },
        {
          ifSourceGenerationMatch: source!.generation,
          provenance,
        },
      );
      expect({ store: store.stats, peer: peer.stats }).toEqual(before);
      expect(info).toMatchObject({ size: 5, contentType: 'text/csv', provenance });
      expect(info.metadata).toEqual({ owner: 'sales', ...provenanceToMetadata(provenance) });
    } finally {
      await peer.close();
    }
  });

  it('keeps metadata values that are not header-safe (RFC 2047 on the wire)', async () => {
    const provenance = {
      source: 'projet/données/été/rapport final.csv',
      generation: '1',
      crc32c: crc32cOf('x'),
      route: 'ré',
    };
    await store.write('src', 'odd.csv', Buffer.from('x'), {
      provenance,
      metadata: { note: '  padded ', city: 'Zürich' },
    });
    const info = await store.stat('src', 'odd.csv');
    expect(info?.provenance).toEqual(provenance);
    expect(info?.metadata).toMatchObject({ note: '  padded ', city: 'Zürich' });
  });

  it('refuses credentials whose env var is missing, naming the option', () => {
    expect(() => createS3Store('cloud', config(), {})).toThrow(/accessKeyIdEnv.*FAUXQS_TEST_ACCESS_KEY_ID/);
  });
});
