import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import type { S3Settings } from './client.js';
import { parseGeneration, quoteEtag } from './generation.js';
import type { LeanHead } from './lean-shapes.js';
import { encodeMetadata } from './metadata.js';
import type { ObjectInfo, WriteOptions } from '../types.js';

/** `x-amz-copy-source`: URL-encoded `bucket/key`, pinned to a version when there is one. */
export function copySourceOf(from: { bucket: string; key: string }, versionId: string | undefined): string {
  const path = `${from.bucket}/${from.key.split('/').map(encodeURIComponent).join('/')}`;
  return versionId && versionId !== 'null' ? `${path}?versionId=${encodeURIComponent(versionId)}` : path;
}

/**
 * What every object switchyard writes or copies carries: content headers,
 * user metadata with provenance, and the project's storage class, SSE and
 * checksum algorithm (CRC32C when the server supports flexible checksums).
 */
export function destinationParams(settings: S3Settings, options: WriteOptions) {
  return {
    ...(options.contentType ? { ContentType: options.contentType } : {}),
    ...(options.contentEncoding ? { ContentEncoding: options.contentEncoding } : {}),
    ...(options.cacheControl ? { CacheControl: options.cacheControl } : {}),
    Metadata: encodeMetadata(options),
    ...(settings.storageClass
      ? { StorageClass: settings.storageClass as PutObjectCommandInput['StorageClass'] }
      : {}),
    ...(settings.serverSideEncryption ? { ServerSideEncryption: settings.serverSideEncryption } : {}),
    ...(settings.sseKmsKeyId ? { SSEKMSKeyId: settings.sseKmsKeyId } : {}),
    ...(settings.capabilities.checksumHeaders ? { ChecksumAlgorithm: 'CRC32C' as const } : {}),
  };
}

/**
 * The source as a stat just described it, in HeadObject's terms, when it is
 * the generation the copy expects and that generation is an ETag +
 * LastModified (no versioning): the copy's `CopySourceIfMatch` then fails if
 * the source's bytes changed since, as a look first would have (on a server
 * that checks it: fauxqs does not). The same bytes written again meanwhile
 * are copied under the old generation's name, which is harmless: they are
 * the bytes named, and the source's deletion looks at its LastModified. A
 * versioned source is looked at again: a copy pinned to an old version would
 * succeed after an overwrite.
 */
export function statedHead(info: ObjectInfo | undefined, expected: string | undefined): LeanHead | undefined {
  if (!info?.etag) return undefined;
  const stated = parseGeneration(info.generation);
  if (!('etag' in stated) || stated.etag !== info.etag) return undefined;
  if (expected !== undefined && info.generation !== expected) return undefined;
  return {
    $metadata: {},
    ETag: quoteEtag(info.etag),
    LastModified: new Date(stated.modifiedSeconds * 1000),
    ContentLength: info.size,
    ...(info.contentType ? { ContentType: info.contentType } : {}),
    ...(info.contentEncoding ? { ContentEncoding: info.contentEncoding } : {}),
    ...(info.cacheControl ? { CacheControl: info.cacheControl } : {}),
    Metadata: encodeMetadata({ metadata: info.metadata }),
  };
}
