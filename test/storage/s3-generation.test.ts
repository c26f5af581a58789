// S3 object identity: one generation for one object whichever call reports it.
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { proveSameBytes } from '../../src/storage/same-bytes.js';
import {
  etagOfGeneration,
  generationOf,
  matchesGeneration,
  parseGeneration,
} from '../../src/storage/s3/generation.js';
import type { LeanS3Client } from '../../src/storage/s3/lean-client.js';
import type { LeanListPage } from '../../src/storage/s3/lean-shapes.js';
import { listObjectsPage, listVersionsPage } from '../../src/storage/s3/list.js';
import { headToInfo } from '../../src/storage/s3/metadata.js';
import { statedHead } from '../../src/storage/s3/params.js';

const ETAG = '900150983cd24fb0d6963f7d28e17f72';
const MD5 = Buffer.from(ETAG, 'hex').toString('base64');
// what ListObjectsV2 answers (milliseconds) and HeadObject for the same write (an HTTP date: seconds)
const LISTED = new Date('2026-03-01T10:20:30.789Z');
const LOOKED = new Date(new Date('2026-03-01T10:20:30.789Z').toUTCString());

/** A lean client whose ListObjectsV2 answers `output`. */
function listing(output: Omit<LeanListPage, 'IsTruncated'>): Pick<LeanS3Client, 'listObjectsV2'> {
  return { listObjectsV2: async () => ({ IsTruncated: false, ...output }) };
}

/** An S3Client whose every command answers `output`. */
function answering(output: object): S3Client {
  return { send: async () => output } as unknown as S3Client;
}

describe('S3 generation', () => {
  it('is the version id in a versioned bucket, else ETag @ LastModified in whole seconds', () => {
    const versionId = '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY';
    expect(generationOf({ VersionId: versionId, ETag: `"${ETAG}"`, LastModified: LISTED })).toBe(versionId);
    const seconds = Math.floor(LISTED.getTime() / 1000);
    for (const VersionId of [undefined, 'null', '']) {
      expect(generationOf({ VersionId, ETag: `"${ETAG}"`, LastModified: LISTED })).toBe(`${ETAG}@${seconds}`);
    }
    expect(parseGeneration(`${ETAG}-12@${seconds}`)).toEqual({
      etag: `${ETAG}-12`,
      modifiedSeconds: seconds,
    });
    expect(parseGeneration(versionId)).toEqual({ versionId });
    expect(etagOfGeneration(`${ETAG}@${seconds}`)).toBe(ETAG);
    expect(etagOfGeneration(versionId)).toBeUndefined();
  });

  it('names one object alike from a listing (ms), a look (s) and a copy answer', async () => {
    const looked = headToInfo('b', 'k', { ETag: `"${ETAG}"`, LastModified: LOOKED, ContentLength: 3 });
    const listed = await listObjectsPage(
      listing({ Contents: [{ Key: 'k', ETag: `"${ETAG}"`, LastModified: LISTED, Size: 3 }] }),
      'b',
      {},
    );
    expect(LOOKED.getTime()).not.toBe(LISTED.getTime());
    expect(listed.items[0]?.generation).toBe(looked.generation);
    expect(listed.items[0]?.updated).toEqual(looked.updated);
    const copied = headToInfo('b', 'k', { ETag: ETAG, LastModified: LISTED, ContentLength: 3 });
    expect(copied.generation).toBe(looked.generation);
    expect(matchesGeneration({ ETag: `"${ETAG}"`, LastModified: LISTED }, looked.generation)).toBe(true);
  });

  it('makes the same bytes written again in a later second a new generation', () => {
    const first = headToInfo('b', 'k', { ETag: `"${ETAG}"`, LastModified: LOOKED });
    const again = headToInfo('b', 'k', {
      ETag: `"${ETAG}"`,
      LastModified: new Date(LOOKED.getTime() + 1000),
    });
    expect(again.etag).toBe(first.etag);
    expect(again.generation).not.toBe(first.generation);
    expect(
      matchesGeneration(
        { ETag: `"${ETAG}"`, LastModified: new Date(LOOKED.getTime() + 1000) },
        first.generation,
      ),
    ).toBe(false);
    // the ETag alone no longer names a generation
    expect(matchesGeneration({ ETag: `"${ETAG}"`, LastModified: LOOKED }, ETAG)).toBe(false);
  });

  it('lists the current version of a versioned bucket under its version id, as a look names it', async () => {
    const page = await listVersionsPage(
      answering({
        Versions: [
          { Key: 'k', VersionId: 'v2', IsLatest: true, ETag: `"${ETAG}"`, LastModified: LISTED, Size: 3 },
          { Key: 'k', VersionId: 'v1', IsLatest: false, ETag: `"${ETAG}"`, LastModified: LISTED, Size: 3 },
        ],
      }),
      'b',
      {},
    );
    const looked = headToInfo('b', 'k', { VersionId: 'v2', ETag: `"${ETAG}"`, LastModified: LOOKED });
    expect(page.items.map((i) => i.generation)).toEqual([looked.generation]);
  });

  it('takes an MD5 from a look at a plain single-part object only, never from a listing', async () => {
    const plain = headToInfo('b', 'k', { ETag: `"${ETAG}"`, LastModified: LOOKED });
    expect(plain.md5).toBe(MD5);
    expect(headToInfo('b', 'k', { ETag: `"${ETAG}"`, ServerSideEncryption: 'aws:kms' }).md5).toBeUndefined();
    expect(headToInfo('b', 'k', { ETag: `"${ETAG}"`, SSECustomerAlgorithm: 'AES256' }).md5).toBeUndefined();
    expect(headToInfo('b', 'k', { ETag: `"${ETAG}-2"` }).md5).toBeUndefined();
    const listed = await listObjectsPage(
      listing({ Contents: [{ Key: 'k', ETag: `"${ETAG}"`, LastModified: LISTED, Size: 3 }] }),
      'b',
      {},
    );
    expect(listed.items[0]?.md5).toBeUndefined();
  });

  it('states a stat as the look a copy would take, its LastModified included', () => {
    const info = headToInfo('b', 'k', { ETag: `"${ETAG}"`, LastModified: LOOKED, ContentLength: 3 });
    const stated = statedHead(info, info.generation);
    expect(stated && generationOf(stated)).toBe(info.generation);
    expect(statedHead(info, `${ETAG}@1`)).toBeUndefined();
    const versioned = headToInfo('b', 'k', { VersionId: 'v1', ETag: `"${ETAG}"`, LastModified: LOOKED });
    expect(statedHead(versioned, 'v1')).toBeUndefined();
  });
});

describe('proveSameBytes', () => {
  const crc = 'yZRlqg==';
  it('proves from a CRC32C or an MD5 both sides know, with the size', () => {
    expect(proveSameBytes({ size: 3, crc32c: crc }, { size: 3, crc32c: crc })).toBe('same');
    expect(proveSameBytes({ size: 3, md5: MD5 }, { size: 3, md5: MD5, crc32c: crc })).toBe('same');
    expect(proveSameBytes({ size: 3, crc32c: crc }, { size: 3, md5: MD5 })).toBe('unknown');
    expect(proveSameBytes({ size: 3 }, { size: 3, crc32c: crc, md5: MD5 })).toBe('unknown');
  });

  it('calls different any size or known checksum that differs', () => {
    expect(proveSameBytes({ size: 3, crc32c: crc }, { size: 4, crc32c: crc })).toBe('different');
    expect(proveSameBytes({ size: 3, crc32c: crc }, { size: 3, crc32c: 'AAAAAA==' })).toBe('different');
    expect(proveSameBytes({ size: 3, crc32c: crc, md5: MD5 }, { size: 3, crc32c: crc, md5: 'x' })).toBe(
      'different',
    );
  });
});
