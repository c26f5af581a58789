import { NotFoundError } from '../model/errors.js';
import { checksumOf, checksumStream, type ReadDigest } from './checksum.js';
import type { CopyOptions, ObjectInfo, ObjectStore } from './types.js';
import { stream } from '../util/builtins.js';

export interface CopyAcrossResult {
  info: ObjectInfo;
  /** CRC32C of the bytes that went through the process (base64, big-endian). */
  crc32c: string;
  bytes: number;
}

/**
 * Copies an object between any two stores by streaming it through this
 * process: `src.read → ChecksumStream → dst.write`, with backpressure, so
 * memory stays bounded whatever the size. With `ifSourceGenerationMatch` the
 * read fails with PreconditionError unless the source is that generation.
 * Errors on either side abort both; the destination's atomic write leaves
 * nothing behind.
 */
export async function copyAcross(
  src: ObjectStore,
  srcBucket: string,
  srcKey: string,
  dst: ObjectStore,
  dstBucket: string,
  dstKey: string,
  options: CopyOptions = {},
): Promise<CopyAcrossResult> {
  // the source is read, not looked at: its stat (sourceInfo) is not needed here
  const { ifSourceGenerationMatch, sourceInfo: _sourceInfo, ...writeOptions } = options;
  const body = await src.read(
    srcBucket,
    srcKey,
    ifSourceGenerationMatch === undefined ? {} : { generation: ifSourceGenerationMatch },
  );
  const checksum = checksumStream();
  stream().pipeline(body, checksum, () => undefined);
  try {
    const info = await dst.write(dstBucket, dstKey, checksum, writeOptions);
    return { info, crc32c: checksum.crc32c, bytes: checksum.bytes };
  } catch (error) {
    body.destroy();
    checksum.destroy();
    throw error;
  }
}

/**
 * Size and CRC32C of an object: from stat when the backend reports CRC32C
 * itself (`checksumHeaders`), otherwise by streaming it once. `stated` is
 * what a stat of the object just answered, when the caller has it: it
 * stands for that stat (a second one would say the same). With `md5`, a
 * read also computes the MD5 (a store's own readChecksum may not).
 */
export async function readChecksum(
  store: ObjectStore,
  bucket: string,
  key: string,
  stated?: ObjectInfo,
  options: { md5?: boolean } = {},
): Promise<ReadDigest> {
  if (store.capabilities.checksumHeaders) {
    const info = stated ?? (await store.stat(bucket, key));
    if (!info) throw new NotFoundError(`${store.name}/${bucket}/${key}`);
    if (info.crc32c) return { size: info.size, crc32c: info.crc32c };
  }
  if (store.readChecksum) return store.readChecksum(bucket, key);
  return checksumOf(await store.read(bucket, key), options);
}
