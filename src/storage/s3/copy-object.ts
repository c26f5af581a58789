import type { CopyObjectCommandInput } from '@aws-sdk/client-s3';
import { userMetadata } from '../provenance.js';
import type { S3Settings } from './client.js';
import type { LeanCopy, LeanHead } from './lean-shapes.js';
import { decodeMetadata, headToInfo } from './metadata.js';
import { destinationParams } from './params.js';
import type { CopyOptions, ObjectInfo } from '../types.js';

type Ref = { bucket: string; key: string };
type Conditions = { IfMatch?: string; IfNoneMatch?: string };

/** What a copy writes with the object: content headers and metadata, the caller's over the source's. */
export type CopyDestination = ReturnType<typeof destinationParams>;

/** The destination's headers for a copy of `src`: the caller's options win over what the source carries. */
export function copyDestination(settings: S3Settings, src: LeanHead, options: CopyOptions): CopyDestination {
  return destinationParams(settings, {
    contentType: options.contentType ?? src.ContentType,
    contentEncoding: options.contentEncoding ?? src.ContentEncoding,
    cacheControl: options.cacheControl ?? src.CacheControl,
    metadata: { ...userMetadata(decodeMetadata(src.Metadata)), ...options.metadata },
    ...(options.provenance ? { provenance: options.provenance } : {}),
  });
}

/** CopyObject's input: the source pinned to its ETag, the metadata replaced, the destination conditions. */
export function copyObjectInput(
  to: Ref,
  copySource: string,
  sourceEtag: string,
  destination: CopyDestination,
  conditions: Conditions,
): CopyObjectCommandInput {
  return {
    Bucket: to.bucket,
    Key: to.key,
    CopySource: copySource,
    CopySourceIfMatch: sourceEtag,
    MetadataDirective: 'REPLACE',
    ...destination,
    ...conditions,
  };
}

/** The ETag and version CopyObject answered, to pin the look after it. */
export function writtenByCopy(out: LeanCopy): { ETag?: string; VersionId?: string } {
  return {
    ...(out.CopyObjectResult?.ETag ? { ETag: out.CopyObjectResult.ETag } : {}),
    ...(out.VersionId ? { VersionId: out.VersionId } : {}),
  };
}

/**
 * The copy as a look would describe it, from CopyObject's answer and what it
 * was asked to write; undefined when the answer lacks its ETag or date. The
 * server vouches for what it answers: the CRC32C it computed when the copy
 * asked for one (`x-amz-checksum-algorithm: CRC32C`), else the ETag, an MD5
 * when the object is single-part and not SSE-KMS/SSE-C (headToInfo). A look
 * afterwards would say no more, so none is made.
 */
export function answeredByCopy(
  to: Ref,
  out: LeanCopy,
  destination: CopyDestination,
  size: number,
): ObjectInfo | undefined {
  const result = out.CopyObjectResult;
  if (!result?.ETag || !result.LastModified) return undefined;
  return headToInfo(to.bucket, to.key, {
    ...destination,
    ETag: result.ETag,
    // as a look reports it: Last-Modified is an HTTP date, whole seconds
    LastModified: new Date(Math.floor(result.LastModified.getTime() / 1000) * 1000),
    ContentLength: size,
    ...(out.VersionId ? { VersionId: out.VersionId } : {}),
    ...(out.ServerSideEncryption ? { ServerSideEncryption: out.ServerSideEncryption } : {}),
    ...(out.SSECustomerAlgorithm ? { SSECustomerAlgorithm: out.SSECustomerAlgorithm } : {}),
    ...(result.ChecksumCRC32C ? { ChecksumCRC32C: result.ChecksumCRC32C } : {}),
    ...(result.ChecksumType ? { ChecksumType: result.ChecksumType } : {}),
  });
}

/** The headers carrying CopyObject's input (the lean client's request), as the SDK would send them. */
export function copyObjectHeaders(input: CopyObjectCommandInput): Record<string, string> {
  const headers: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') headers[name] = value;
  };
  set('x-amz-copy-source', input.CopySource);
  set('x-amz-copy-source-if-match', input.CopySourceIfMatch);
  set('x-amz-metadata-directive', input.MetadataDirective);
  set('content-type', input.ContentType);
  set('content-encoding', input.ContentEncoding);
  set('cache-control', input.CacheControl);
  for (const [name, value] of Object.entries(input.Metadata ?? {})) set(`x-amz-meta-${name}`, value);
  set('x-amz-storage-class', input.StorageClass);
  set('x-amz-server-side-encryption', input.ServerSideEncryption);
  set('x-amz-server-side-encryption-aws-kms-key-id', input.SSEKMSKeyId);
  set('x-amz-checksum-algorithm', input.ChecksumAlgorithm);
  set('if-match', input.IfMatch);
  set('if-none-match', input.IfNoneMatch);
  return headers;
}
