import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type CompleteMultipartUploadCommandOutput,
  type CreateMultipartUploadCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { mapPool } from '../../util/pool.js';
import { S3_MAX_PARTS } from './client.js';

export interface PartCopyRequest {
  client: S3Client;
  /** `bucket/key` URL-encoded, with `?versionId=` when pinned to a version. */
  copySource: string;
  /** Quoted ETag every part must come from (the source may not change between parts). */
  sourceEtag: string;
  size: number;
  bucket: string;
  key: string;
  /** Content headers, metadata, storage class, SSE, checksum algorithm of the destination. */
  create: Omit<CreateMultipartUploadCommandInput, 'Bucket' | 'Key'>;
  /** Destination conditions, applied when the upload completes. */
  ifMatch?: string;
  ifNoneMatch?: string;
  partSizeBytes: number;
  concurrency: number;
}

/** Byte ranges (inclusive) covering `size` with at most 10,000 parts. */
export function partRanges(size: number, partSizeBytes: number): Array<{ start: number; end: number }> {
  const partSize = Math.max(partSizeBytes, Math.ceil(size / S3_MAX_PARTS));
  const ranges: Array<{ start: number; end: number }> = [];
  for (let start = 0; start < size; start += partSize)
    ranges.push({ start, end: Math.min(size, start + partSize) - 1 });
  return ranges;
}

/**
 * Server-side multipart copy (CreateMultipartUpload, UploadPartCopy per
 * range, CompleteMultipartUpload): no object bytes pass through this process.
 * Any failure aborts the upload so no parts are left behind.
 */
export async function multipartCopy(request: PartCopyRequest): Promise<CompleteMultipartUploadCommandOutput> {
  const { client, bucket, key } = request;
  const created = await client.send(
    new CreateMultipartUploadCommand({ ...request.create, Bucket: bucket, Key: key }),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error(`CreateMultipartUpload for ${bucket}/${key} returned no UploadId`);
  try {
    const parts = await mapPool(
      partRanges(request.size, request.partSizeBytes),
      request.concurrency,
      async (range, i) => {
        const result = await client.send(
          new UploadPartCopyCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: i + 1,
            CopySource: request.copySource,
            CopySourceIfMatch: request.sourceEtag,
            CopySourceRange: `bytes=${range.start}-${range.end}`,
          }),
        );
        const copied = result.CopyPartResult;
        if (!copied?.ETag)
          throw new Error(`UploadPartCopy part ${i + 1} of ${bucket}/${key} returned no ETag`);
        const part: CompletedPart = { PartNumber: i + 1, ETag: copied.ETag };
        if (copied.ChecksumCRC32C) part.ChecksumCRC32C = copied.ChecksumCRC32C;
        return part;
      },
    );
    return await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
        ...(request.ifMatch ? { IfMatch: request.ifMatch } : {}),
        ...(request.ifNoneMatch ? { IfNoneMatch: request.ifNoneMatch } : {}),
      }),
    );
  } catch (error) {
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch(() => {});
    throw error;
  }
}
