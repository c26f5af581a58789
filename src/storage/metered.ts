import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { ChecksumStream } from './checksum.js';
import type { StoreStats } from './types.js';

/** An upload's bytes as they flow: counted (for a store's `stats`) and checksummed (CRC32C). */
export class MeteredStream extends ChecksumStream {
  constructor(private readonly onBytes: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, encoding: BufferEncoding, callback: TransformCallback): void {
    this.onBytes(chunk.length);
    super._transform(chunk, encoding, callback);
  }
}

/**
 * A cloud download as callers read it: its bytes counted into `stats.bytesIn`
 * as they pass, a failure of the download surfacing as `fail(error)` on the
 * stream returned, and the download released when the reader stops early.
 */
export function countedRead(
  download: Readable,
  stats: StoreStats,
  fail: (error: unknown) => Error,
): Readable {
  const counted = new Transform({
    transform: (chunk: Buffer, _encoding, callback) => {
      stats.bytesIn += chunk.length;
      callback(null, chunk);
    },
  });
  download.on('error', (error) => counted.destroy(fail(error)));
  counted.on('close', () => download.destroy());
  return download.pipe(counted);
}
