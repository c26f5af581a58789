import { crc32c } from './crc32c.js';
import type { Readable, Transform } from 'node:stream';
import type { ObjectInfo } from './types.js';
import { crypto, stream } from '../util/builtins.js';

/** base64 of the 4-byte big-endian CRC32C, the form GCS and S3 use. */
export function encodeCrc32c(value: number): string {
  const buffer = Buffer.allocUnsafe(4);
  buffer.writeUInt32BE(value >>> 0, 0);
  return buffer.toString('base64');
}

export function crc32cOf(data: Uint8Array | string): string {
  return encodeCrc32c(crc32c(data));
}

/**
 * What a backend answered about an object it just wrote or copied: a CRC32C
 * there is the destination's own, so verification needs no second look.
 */
export function reportedByDestination(info: ObjectInfo): ObjectInfo {
  if (info.crc32c) info.destinationChecksum = true;
  return info;
}

/** A pass-through stream that counts the bytes through it and their CRC32C (`checksumStream`). */
export interface ChecksumStream extends Transform {
  readonly bytes: number;
  /** base64, big-endian, of the bytes so far. */
  readonly crc32c: string;
}

/**
 * A pass-through stream that counts bytes and computes CRC32C
 * (hardware-accelerated); `onBytes` hears each chunk's length as it passes
 * (a store's `stats`). Built on node:stream's Transform at first use, not
 * as a subclass declared at load: a run that streams nothing does not load
 * node:stream.
 */
export function checksumStream(onBytes?: (n: number) => void): ChecksumStream {
  let state = 0;
  let bytes = 0;
  const through = new (stream().Transform)({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes?.(chunk.length);
      state = crc32c(chunk, state);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return Object.defineProperties(through, {
    bytes: { get: () => bytes },
    crc32c: { get: () => encodeCrc32c(state) },
  }) as ChecksumStream;
}

/** Size, CRC32C and, when asked for, MD5 (base64) of bytes read. */
export interface ReadDigest {
  size: number;
  crc32c: string;
  md5?: string;
}

/**
 * Reads a stream to its end, returning its size and CRC32C, and its MD5 with
 * `md5` (what an S3 server without checksums vouches for: a single-part
 * ETag); memory stays bounded.
 */
export async function checksumOf(body: Readable, options: { md5?: boolean } = {}): Promise<ReadDigest> {
  let state = 0;
  let size = 0;
  const md5 = options.md5 ? crypto().createHash('md5') : undefined;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    state = crc32c(buffer, state);
    md5?.update(buffer);
    size += buffer.length;
  }
  return { size, crc32c: encodeCrc32c(state), ...(md5 ? { md5: md5.digest('base64') } : {}) };
}
