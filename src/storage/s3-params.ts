import type { HeadObjectCommandOutput, PutObjectCommandInput } from '@aws-sdk/client-s3';
import type { S3Settings } from './s3-client.js';
import { encodeMetadata, generationOf, unquoteEtag } from './s3-metadata.js';
import type { WriteOptions } from './types.js';

/** True when `expected` names what HeadObject reports: its version id or its ETag. */
export function matchesGeneration(head: HeadObjectCommandOutput, expected: string): boolean {
  return expected === generationOf(head.VersionId, head.ETag) || expected === unquoteEtag(head.ETag);
}

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
