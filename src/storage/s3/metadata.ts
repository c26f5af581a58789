import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { provenanceFromMetadata, provenanceToMetadata } from '../provenance.js';
import { generationOf, unquoteEtag } from './generation.js';
import type { ObjectInfo, WriteOptions } from '../types.js';

const ENCODED = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/i;
const SAFE = /^[\x20-\x7e]*$/;

/**
 * S3 user metadata travels as HTTP headers: ASCII only, trimmed. A value that
 * is not plain printable ASCII (or has edge whitespace) is sent RFC 2047
 * encoded, which S3 itself decodes and re-encodes the same way.
 */
export function encodeMetadataValue(value: string): string {
  if (SAFE.test(value) && value.trim() === value && !ENCODED.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

export function decodeMetadataValue(value: string): string {
  const match = ENCODED.exec(value);
  return match ? Buffer.from(match[1] ?? '', 'base64').toString('utf8') : value;
}

/** User metadata plus provenance, keys lower-cased (S3 lower-cases them anyway), values header-safe. */
export function encodeMetadata(
  options: Pick<WriteOptions, 'metadata' | 'provenance'>,
): Record<string, string> {
  const merged = {
    ...options.metadata,
    ...(options.provenance ? provenanceToMetadata(options.provenance) : {}),
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged)) out[k.toLowerCase()] = encodeMetadataValue(v);
  return out;
}

export function decodeMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) out[k.toLowerCase()] = decodeMetadataValue(v);
  return out;
}

/** base64 MD5 from a single-part ETag; a multipart ETag (`-N`) is never an MD5, nor an SSE-KMS/SSE-C one. */
export function md5FromEtag(etag: string | undefined): string | undefined {
  const bare = unquoteEtag(etag);
  if (!bare || !/^[0-9a-f]{32}$/i.test(bare)) return undefined;
  return Buffer.from(bare, 'hex').toString('base64');
}

/** A full-object CRC32C: S3 reports composite (per-part) checksums as `xxx-N` or ChecksumType COMPOSITE. */
export function fullObjectCrc32c(value: string | undefined, type: string | undefined): string | undefined {
  if (!value || value.includes('-') || type === 'COMPOSITE') return undefined;
  return value;
}

type HeadLike = Pick<
  HeadObjectCommandOutput,
  | 'ETag'
  | 'VersionId'
  | 'ContentLength'
  | 'LastModified'
  | 'ContentType'
  | 'ContentEncoding'
  | 'CacheControl'
  | 'Metadata'
  | 'ChecksumCRC32C'
  | 'ChecksumType'
  | 'ServerSideEncryption'
  | 'SSECustomerAlgorithm'
>;

export function headToInfo(bucket: string, key: string, head: HeadLike): ObjectInfo {
  const metadata = decodeMetadata(head.Metadata);
  const modified = head.LastModified ?? new Date(0);
  const info: ObjectInfo = {
    bucket,
    key,
    generation: generationOf(head),
    size: head.ContentLength ?? 0,
    etag: unquoteEtag(head.ETag),
    created: modified,
    updated: modified,
    metadata,
  };
  const crc = fullObjectCrc32c(head.ChecksumCRC32C, head.ChecksumType);
  if (crc) info.crc32c = crc;
  const kmsOrCustomerKey = head.SSECustomerAlgorithm || head.ServerSideEncryption?.startsWith('aws:kms');
  const md5 = kmsOrCustomerKey ? undefined : md5FromEtag(head.ETag);
  if (md5) info.md5 = md5;
  if (head.ContentType) info.contentType = head.ContentType;
  if (head.ContentEncoding) info.contentEncoding = head.ContentEncoding;
  if (head.CacheControl) info.cacheControl = head.CacheControl;
  const provenance = provenanceFromMetadata(metadata);
  if (provenance) info.provenance = provenance;
  return info;
}
