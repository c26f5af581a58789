import type { FileMetadata } from '@google-cloud/storage';
import { provenanceFromMetadata, provenanceToMetadata } from '../provenance.js';
import type { ObjectInfo, WriteOptions } from '../types.js';

/** An object resource of the JSON API as switchyard's ObjectInfo. */
export function resourceToInfo(bucket: string, key: string, resource: FileMetadata): ObjectInfo {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(resource.metadata ?? {})) {
    if (v !== null && v !== undefined) metadata[k] = String(v);
  }
  const created = new Date(resource.timeCreated ?? 0);
  const info: ObjectInfo = {
    bucket,
    key,
    generation: String(resource.generation ?? ''),
    size: Number(resource.size ?? 0),
    created,
    updated: resource.updated ? new Date(resource.updated) : created,
    metadata,
  };
  if (resource.crc32c) info.crc32c = resource.crc32c;
  if (resource.md5Hash) info.md5 = resource.md5Hash;
  if (resource.etag) info.etag = resource.etag;
  if (resource.contentType) info.contentType = resource.contentType;
  if (resource.contentEncoding) info.contentEncoding = resource.contentEncoding;
  if (resource.cacheControl) info.cacheControl = resource.cacheControl;
  const provenance = provenanceFromMetadata(metadata);
  if (provenance) info.provenance = provenance;
  return info;
}

/** The destination resource of a write or rewrite: content headers, user metadata and provenance. */
export function destinationResource(options: WriteOptions, storageClass?: string): FileMetadata {
  const resource: FileMetadata = {
    metadata: {
      ...options.metadata,
      ...(options.provenance ? provenanceToMetadata(options.provenance) : {}),
    },
  };
  if (options.contentType) resource.contentType = options.contentType;
  if (options.contentEncoding) resource.contentEncoding = options.contentEncoding;
  if (options.cacheControl) resource.cacheControl = options.cacheControl;
  if (storageClass) resource.storageClass = storageClass;
  return resource;
}
