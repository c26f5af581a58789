import { mkdirSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { KeyUnsafeError, NotFoundError, SwitchyardError, TransientError } from '../../model/errors.js';
import { os } from '../../util/builtins.js';
import { sha256Hex } from '../../util/sha256.js';
import { assertSafeBucket, assertSafeKey } from '../../model/keys.js';

/** Names starting with this are switchyard's own temporary files: never listed, removed by cleanup(). */
export const FS_TEMP_PREFIX = '.switchyard-tmp-';

/** Longest file or folder name most filesystems accept, in bytes. */
export const MAX_SEGMENT_BYTES = 255;

export interface ResolvedKey {
  bucketDir: string;
  /** Absolute path of the object file. */
  file: string;
  /** Absolute path of the folder holding it. */
  dir: string;
  /** Key segments (non-empty, each at most 255 bytes). */
  segments: string[];
}

/**
 * Validates bucket and key (no I/O) and maps them to a path inside
 * `root/bucket`. Beyond assertSafeKey, refuses empty segments (`a//b`, a
 * trailing `/`), segments longer than 255 bytes and a segment that is a
 * temporary-file name.
 */
export function resolveKey(root: string, bucket: string, key: string): ResolvedKey {
  assertSafeBucket(bucket);
  assertSafeKey(key);
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '') throw new KeyUnsafeError(key, 'empty path segment');
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      throw new KeyUnsafeError(key, `path segment longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
    if (segment.startsWith(FS_TEMP_PREFIX))
      throw new KeyUnsafeError(key, `segment uses the reserved prefix ${FS_TEMP_PREFIX}`);
  }
  if (path.sep === '/' && path.isAbsolute(root)) {
    // POSIX: the bucket and every segment were checked above (no separator in
    // a bucket, no empty, `.` or `..` segment), so joining them is resolving
    // them and the file lies inside the bucket folder by construction; this is
    // the path taken per file, where path.resolve + path.relative cost ~10 µs
    const base = path.normalize(root);
    const bucketDir = base.endsWith('/') ? `${base}${bucket}` : `${base}/${bucket}`;
    const file = `${bucketDir}/${key}`;
    return { bucketDir, file, dir: file.slice(0, file.lastIndexOf('/')), segments };
  }
  const bucketDir = path.resolve(root, bucket);
  const file = path.resolve(bucketDir, ...segments);
  const relative = path.relative(bucketDir, file);
  if (
    relative === '' ||
    relative === '..' ||
    relative.startsWith(`..${path.sep}`) ||
    path.isAbsolute(relative)
  ) {
    throw new KeyUnsafeError(key, 'resolves outside its bucket');
  }
  return { bucketDir, file, dir: path.dirname(file), segments };
}

/** `mtimeNs-size-inode`: changes whenever the file is rewritten; kept by rename and link. */
export function generationOf(st: BigIntStats): string {
  return `${st.mtimeNs}-${st.size}-${st.ino}`;
}

export function createdOf(st: BigIntStats): Date {
  return st.birthtimeNs > 0n
    ? new Date(Number(st.birthtimeNs / 1_000_000n))
    : new Date(Number(st.mtimeNs / 1_000_000n));
}

export function updatedOf(st: BigIntStats): Date {
  return new Date(Number(st.mtimeNs / 1_000_000n));
}

/** The path (or a folder on it) does not exist. */
export function isMissing(error: unknown): boolean {
  const errno = errnoOf(error);
  return errno === 'ENOENT' || errno === 'ENOTDIR';
}

export function errnoOf(error: unknown): string | undefined {
  return error && typeof error === 'object' && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

const TRANSIENT_BACKEND = new Set([
  'ENOSPC',
  'EIO',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
  'EDQUOT',
  'ETIMEDOUT',
  'EINTR',
]);
const UNWRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'EISDIR']);

/**
 * Maps an OS error to the catalogue, keeping it as `cause`: ENOENT →
 * NotFoundError (except when writing: a folder removed under a writer is
 * transient); permission, read-only and "a file where a folder should be"
 * → E_DESTINATION_UNWRITABLE (transient: the operator can fix it);
 * ENAMETOOLONG → E_KEY_UNSAFE; anything else → E_BACKEND (transient).
 * Errors already in the catalogue pass through.
 */
export function wrapFsError(error: unknown, op: string, location: string, file: string): Error {
  if (error instanceof SwitchyardError) return error;
  const errno = errnoOf(error);
  if (errno === 'ENOENT' && op !== 'write' && op !== 'copy')
    return new NotFoundError(location, { cause: error });
  if (errno === 'ENAMETOOLONG') return new KeyUnsafeError(location, 'path too long for this filesystem');
  if (errno && UNWRITABLE.has(errno) && op !== 'read' && op !== 'stat') {
    return new TransientError(
      'E_DESTINATION_UNWRITABLE',
      `[switchyard] [fs] cannot ${op} ${location}: ${errno} at ${file}`,
      { location, path: file, op, errno },
      { cause: error },
    );
  }
  const kind = errno && TRANSIENT_BACKEND.has(errno) ? errno : (errno ?? 'error');
  return new TransientError(
    'E_BACKEND',
    `[switchyard] [fs] ${op} ${location} failed: ${kind}${error instanceof Error ? ` (${error.message})` : ''}`,
    { location, path: file, op, errno },
    { cause: error },
  );
}

/** Creates the folder (and parents) by path (the bucket folder only: below it, folders are made through held handles); a file standing in the way, or no permission → E_DESTINATION_UNWRITABLE. */
export function ensureDir(dir: string, location: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new TransientError(
      'E_DESTINATION_UNWRITABLE',
      `[switchyard] [fs] cannot create folder ${dir} for ${location}: ${errnoOf(error) ?? 'error'}`,
      { location, path: dir, errno: errnoOf(error) },
      { cause: error },
    );
  }
}

let knownHostTag: string | undefined;
/** This host, as a short tag in temp names: a shared folder may hold temp files of several hosts. */
function hostTag(): string {
  return (knownHostTag ??= sha256Hex(os().hostname()).slice(0, 6));
}

/**
 * A temp file name that says who writes it and since when:
 * `PREFIX[tag]<host>.<pid>-<base36 ms>-<random>`. Cleanup reads it back so
 * it never removes a file a live process is writing (parseTempName).
 */
export function tempName(tag = ''): string {
  const random = Math.random().toString(36).slice(2, 10);
  return `${FS_TEMP_PREFIX}${tag}${hostTag()}.${process.pid}-${Date.now().toString(36)}-${random}`;
}

export interface TempNameInfo {
  /** Id of the writing process, when it ran on this host. */
  localPid?: number;
  /** When the file was named (epoch ms). */
  createdAt?: number;
}

const TEMP_NEW = /^(?:[a-z]+-)?([0-9a-f]{6})\.(\d+)-([0-9a-z]{6,10})-[0-9a-z]+$/;
const TEMP_OLD = /^(?:[a-z]+-)?([0-9a-z]{6,10})-[0-9a-z]+$/;

/** What a temp name tells (an older or foreign name may tell nothing). */
export function parseTempName(name: string): TempNameInfo {
  const rest = name.slice(FS_TEMP_PREFIX.length);
  const current = TEMP_NEW.exec(rest);
  if (current) {
    const info: TempNameInfo = {};
    const createdAt = stampOf(current[3] as string);
    if (createdAt !== undefined) info.createdAt = createdAt;
    if (current[1] === hostTag()) info.localPid = Number(current[2]);
    return info;
  }
  const legacy = TEMP_OLD.exec(rest);
  const createdAt = legacy ? stampOf(legacy[1] as string) : undefined;
  return createdAt === undefined ? {} : { createdAt };
}

function stampOf(base36: string): number | undefined {
  const ms = parseInt(base36, 36);
  return ms > Date.UTC(2020, 0, 1) && ms < Date.now() + 86_400_000 ? ms : undefined;
}

/**
 * Whether a temp file was abandoned: its writer on this host no longer runs,
 * or it was both named and last modified before `staleBefore` (a live write
 * keeps touching its file; a hard-linked move keeps the source's old mtime
 * but is named when made and lives for microseconds).
 */
export function isAbandonedTemp(
  name: string,
  mtimeMs: number,
  staleBefore: number,
  alive: (pid: number) => boolean,
): boolean {
  const info = parseTempName(name);
  if (info.localPid !== undefined && !alive(info.localPid)) return true;
  return mtimeMs <= staleBefore && (info.createdAt === undefined || info.createdAt <= staleBefore);
}
