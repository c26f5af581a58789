import { KeyUnsafeError } from './errors.js';

/** Where an object lives: a project (selects the backend), a bucket, a key. */
export interface Location {
  project: string;
  bucket: string;
  key: string;
}

/** Longest key GCS and S3 accept, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** A `.` or `..` segment anywhere in a key. */
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;

/**
 * Refuses a key that could escape its bucket or that no backend stores as
 * given (invariant 4): empty, absolute, `.`/`..` segments, NUL or other
 * control characters, longer than 1024 bytes. Keys ending in `/` are folder
 * placeholders and pass (callers skip them).
 */
export function assertSafeKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new KeyUnsafeError(String(key), 'empty key');
  if (CONTROL.test(key)) throw new KeyUnsafeError(key, 'control character in key');
  if (key.startsWith('/')) throw new KeyUnsafeError(key, 'absolute key');
  // a UTF-16 unit is at most 3 UTF-8 bytes: only a key of over 341 units needs counting
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new KeyUnsafeError(key, `longer than ${MAX_KEY_BYTES} bytes`);
  }
  // one test, no array of segments: every store call asks this of its key
  if (DOT_SEGMENT.test(key)) {
    const segment = key.split('/').find((s) => s === '.' || s === '..');
    throw new KeyUnsafeError(key, `"${segment}" segment`);
  }
}

/** Bucket names are one path segment with no control characters. */
export function assertSafeBucket(bucket: string): void {
  if (typeof bucket !== 'string' || bucket.length === 0)
    throw new KeyUnsafeError(String(bucket), 'empty bucket name');
  if (
    CONTROL.test(bucket) ||
    bucket.includes('/') ||
    bucket.includes('\\') ||
    bucket === '.' ||
    bucket === '..'
  ) {
    throw new KeyUnsafeError(bucket, 'invalid bucket name');
  }
}

export function isFolderPlaceholder(key: string): boolean {
  return key.endsWith('/');
}

/** The file name: the last segment of the key. */
export function fileNameOf(key: string): string {
  const i = key.lastIndexOf('/');
  return i === -1 ? key : key.slice(i + 1);
}

/** The key's folder, without trailing slash ('' at the bucket root). */
export function folderOf(key: string): string {
  const i = key.lastIndexOf('/');
  return i === -1 ? '' : key.slice(0, i);
}

/** Joins a directory and a name with exactly one `/`, never a leading one. */
export function joinKey(directory: string, name: string): string {
  const dir = directory.replace(/^\/+/, '').replace(/\/+$/, '');
  return dir === '' ? name : `${dir}/${name}`;
}

export function formatLocation(location: { project: string; bucket: string; key: string }): string {
  return `${location.project}/${location.bucket}/${location.key}`;
}

/** Whether two locations name the same object. */
export function sameLocation(
  a: { project: string; bucket: string; key: string },
  b: { project: string; bucket: string; key: string },
): boolean {
  return a.project === b.project && a.bucket === b.bucket && a.key === b.key;
}

/** Parses `PROJECT/BUCKET/KEY` (the key may contain `/`). */
export function parseLocation(text: string): { project: string; bucket: string; key: string } {
  const first = text.indexOf('/');
  const second = first === -1 ? -1 : text.indexOf('/', first + 1);
  if (first <= 0 || second === -1 || second === first + 1 || second === text.length - 1) {
    throw new KeyUnsafeError(text, 'expected PROJECT/BUCKET/KEY');
  }
  return {
    project: text.slice(0, first),
    bucket: text.slice(first + 1, second),
    key: text.slice(second + 1),
  };
}
