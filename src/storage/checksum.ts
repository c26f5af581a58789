import { crc32c } from '@node-rs/crc32';
import { Transform, type Readable, type TransformCallback } from 'node:stream';

/** base64 of the 4-byte big-endian CRC32C, the form GCS and S3 use. */
export function encodeCrc32c(value: number): string {
  const buffer = Buffer.allocUnsafe(4);
  buffer.writeUInt32BE(value >>> 0, 0);
  return buffer.toString('base64');
}

export function crc32cOf(data: Uint8Array | string): string {
  return encodeCrc32c(crc32c(data));
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

/** Reads a stream to its end, returning its size and CRC32C; memory stays bounded. */
export async function checksumOf(stream: Readable): Promise<{ size: number; crc32c: string }> {
  let state = 0;
  let size = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    state = crc32c(buffer, state);
    size += buffer.length;
  }
  return { size, crc32c: encodeCrc32c(state) };
}
