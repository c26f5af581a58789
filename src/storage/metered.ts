import type { Readable } from 'node:stream';
import type { StoreStats } from './types.js';
import { stream } from '../util/builtins.js';

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
  const counted = new (stream().Transform)({
    transform: (chunk: Buffer, _encoding, callback) => {
      stats.bytesIn += chunk.length;
      callback(null, chunk);
    },
  });
  download.on('error', (error) => counted.destroy(fail(error)));
  counted.on('close', () => download.destroy());
  return download.pipe(counted);
}
