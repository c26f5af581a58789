import { createRequire } from 'node:module';
import type * as Crc32 from '@node-rs/crc32';

let native: typeof Crc32.crc32c | undefined;

/**
 * CRC32C of `input`, continuing from `initial` (hardware-accelerated, by
 * @node-rs/crc32). The native addon is loaded on the first checksum, not when
 * a store is opened: a run that copies nothing (a scan of an empty tree, a
 * move by rename) never loads it.
 */
export function crc32c(input: Uint8Array | string, initial?: number): number {
  native ??= (createRequire(import.meta.url)('@node-rs/crc32') as typeof Crc32).crc32c;
  return native(input, initial);
}
