import { crc32c } from './crc32c.js';
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { ObjectInfo } from './types.js';

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

/** A pass-through stream that counts bytes and computes CRC32C (hardware-accelerated). */
export class ChecksumStream extends Transform {
  private state = 0;
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.state = crc32c(chunk, this.state);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  get crc32c(): string {
    return encodeCrc32c(this.state);
  }
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
export async function checksumOf(stream: Readable, options: { md5?: boolean } = {}): Promise<ReadDigest> {
  let state = 0;
  let size = 0;
  const md5 = options.md5 ? createHash('md5') : undefined;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    state = crc32c(buffer, state);
    md5?.update(buffer);
    size += buffer.length;
  }
  return { size, crc32c: encodeCrc32c(state), ...(md5 ? { md5: md5.digest('base64') } : {}) };
}
