import type { ObjectInfo } from './types.js';

/**
 * What one look at an object (stat: a HEAD on S3, the object resource on
 * GCS) proves about its bytes against the bytes expected there:
 *
 * - `different`: the size differs, or a checksum both sides know differs;
 * - `same`: the size agrees and a CRC32C both know agrees, or, lacking one,
 *   an MD5 both know (S3 sets `md5` only from a single-part ETag of an object
 *   not encrypted with SSE-KMS or SSE-C, GCS only for non-composite objects);
 * - `unknown`: no checksum in common; only reading the object can tell
 *   (`readChecksum` in stream-to-store.ts).
 */
export type BytesProof = 'same' | 'different' | 'unknown';

export type ExpectedBytes = Pick<ObjectInfo, 'size' | 'crc32c' | 'md5'>;

export function proveSameBytes(expected: ExpectedBytes, found: ExpectedBytes): BytesProof {
  if (found.size !== expected.size) return 'different';
  const crc = compare(expected.crc32c, found.crc32c);
  const md5 = compare(expected.md5, found.md5);
  if (crc === 'different' || md5 === 'different') return 'different';
  return crc === 'same' || md5 === 'same' ? 'same' : 'unknown';
}

function compare(expected: string | undefined, found: string | undefined): BytesProof {
  if (!expected || !found) return 'unknown';
  return expected === found ? 'same' : 'different';
}
