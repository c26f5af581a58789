import type { S3Client } from '@aws-sdk/client-s3';
import type { LeanS3Client } from './lean-client.js';
import { isFolderPlaceholder } from '../../model/keys.js';
import { generationOf, modifiedSeconds, unquoteEtag } from './generation.js';
import type { ListOptions, ListPage, ObjectInfo } from '../types.js';

interface Listed {
  Key?: string;
  Size?: number;
  ETag?: string;
  LastModified?: Date;
  VersionId?: string;
}

/**
 * A listed object, as HeadObject describes it: its time to the whole second
 * (a look states no finer), hence its generation too (s3-generation.ts). No
 * `md5`: a listing does not say whether the object is SSE-KMS or SSE-C
 * encrypted, whose ETags are no MD5.
 */
function listedToInfo(bucket: string, item: Listed): ObjectInfo {
  const modified = new Date(modifiedSeconds(item.LastModified) * 1000);
  return {
    bucket,
    key: item.Key ?? '',
    generation: generationOf(item),
    size: item.Size ?? 0,
    etag: unquoteEtag(item.ETag),
    created: modified,
    updated: modified,
    metadata: {},
  };
}

/** One page of ListObjectsV2 (ContinuationToken paging). Items carry no user metadata; stat for that. */
export async function listObjectsPage(
  client: Pick<LeanS3Client, 'listObjectsV2'>,
  bucket: string,
  options: ListOptions,
): Promise<ListPage> {
  const out = await client.listObjectsV2({
    Bucket: bucket,
    ...(options.prefix ? { Prefix: options.prefix } : {}),
    MaxKeys: options.pageSize ?? 1000,
    ...(options.pageToken ? { ContinuationToken: options.pageToken } : {}),
  });
  const items = (out.Contents ?? [])
    .filter((item) => item.Key !== undefined && !isFolderPlaceholder(item.Key))
    .map((item) => listedToInfo(bucket, item));
  return out.IsTruncated && out.NextContinuationToken
    ? { items, nextPageToken: out.NextContinuationToken }
    : { items };
}

/**
 * One page of the current versions in a versioned bucket, so listed
 * generations are version ids, as stat reports them. The page token packs
 * S3's key and version-id markers.
 */
export async function listVersionsPage(
  client: S3Client,
  bucket: string,
  options: ListOptions,
): Promise<ListPage> {
  const marker = options.pageToken
    ? (JSON.parse(Buffer.from(options.pageToken, 'base64url').toString('utf8')) as { k?: string; v?: string })
    : {};
  const { ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
  const out = await client.send(
    new ListObjectVersionsCommand({
      Bucket: bucket,
      ...(options.prefix ? { Prefix: options.prefix } : {}),
      MaxKeys: options.pageSize ?? 1000,
      ...(marker.k ? { KeyMarker: marker.k } : {}),
      ...(marker.v ? { VersionIdMarker: marker.v } : {}),
    }),
  );
  const items = (out.Versions ?? [])
    .filter((v) => v.IsLatest && v.Key !== undefined && !isFolderPlaceholder(v.Key))
    .map((v) => listedToInfo(bucket, v));
  if (!out.IsTruncated) return { items };
  const next = { k: out.NextKeyMarker, v: out.NextVersionIdMarker };
  return { items, nextPageToken: Buffer.from(JSON.stringify(next), 'utf8').toString('base64url') };
}
