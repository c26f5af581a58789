import {
  closeSync,
  constants,
  existsSync,
  fsync,
  lstatSync,
  mkdirSync,
  openSync,
  type BigIntStats,
} from 'node:fs';
import { promisify } from 'node:util';
import { PermanentError, TransientError } from '../../model/errors.js';
import { errnoOf } from './paths.js';

/**
 * Folders held open while the local-folder store acts in them, so no path
 * is looked up twice: a folder below a bucket swapped for a symbolic link
 * between a check and an act cannot lead the act out of the data root.
 *
 * On Linux every step goes through `/proc/self/fd/<fd>/<name>`, which the
 * kernel resolves from the folder the handle holds, not from its path (Node
 * has no `openat`/`unlinkat`; this is their equivalent). Each segment is
 * opened `O_DIRECTORY|O_NOFOLLOW`, so a symbolic link at any segment is
 * refused, never followed. Elsewhere (no `/proc`), acts go by path: segments
 * are still opened `O_NOFOLLOW`, which refuses a link present when checked,
 * but a swap between that check and the act is not excluded there.
 */
export const RACE_FREE = process.platform === 'linux' && existsSync('/proc/self/fd');

const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
const DIR_FLAGS = constants.O_RDONLY | O_DIRECTORY | constants.O_NOFOLLOW;
const fsyncFd = promisify(fsync);

/** An open folder: the handle, and the path it was reached by (for messages, and acts where RACE_FREE is false). */
export interface DirHandle {
  readonly fd: number;
  readonly path: string;
}

/** A symbolic link met below a bucket folder: reported, never followed (permanent). */
export class SymlinkError extends PermanentError {
  constructor(location: string, key: string, found: string) {
    super(
      'E_SYMLINK',
      `[switchyard] [fs] ${location}: expected a file or folder at ${found}, found a symbolic link (symbolic links below a bucket are never followed)`,
      { location, key, path: found },
    );
  }
}

/** The path that reaches `name` inside the folder `dir` holds. */
export function at(dir: DirHandle, name: string): string {
  return RACE_FREE ? `/proc/self/fd/${dir.fd}/${name}` : `${dir.path}/${name}`;
}

/** The path that reaches the folder itself (readdir of the held folder). */
export function self(dir: DirHandle): string {
  return RACE_FREE ? `/proc/self/fd/${dir.fd}` : dir.path;
}

/** Opens a folder by its absolute path (the bucket folder, a real path resolved once). */
export function openDirPath(dirPath: string): DirHandle {
  return { fd: openSync(dirPath, DIR_FLAGS), path: dirPath };
}

export function closeDir(dir: DirHandle): void {
  try {
    closeSync(dir.fd);
  } catch {
    // already closed: nothing to release
  }
}

/** Lstat of `name` in the held folder (never follows it). */
export function lstatAt(dir: DirHandle, name: string): BigIntStats {
  return lstatSync(at(dir, name), { bigint: true });
}

/**
 * Opens the sub-folder `name` of the held folder. A symbolic link there
 * throws SymlinkError; a missing one throws ENOENT, or is created first
 * when `create`; a file there throws ENOTDIR.
 */
export function openDirAt(
  parent: DirHandle,
  name: string,
  where: { location: string; key: string },
  create = false,
): DirHandle {
  const target = at(parent, name);
  const display = `${parent.path}/${name}`;
  try {
    return { fd: openSync(target, DIR_FLAGS), path: display };
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT' && create) {
      try {
        mkdirSync(target, 0o777);
      } catch (mkdirError) {
        if (errnoOf(mkdirError) !== 'EEXIST') throw mkdirError;
      }
      return openDirAt(parent, name, where, false);
    }
    if ((errno === 'ENOTDIR' || errno === 'ELOOP') && isSymlinkAt(parent, name)) {
      throw new SymlinkError(where.location, where.key, display);
    }
    if (create && errno !== undefined && errno !== 'ENOENT') throw unwritableFolder(display, where, error);
    throw error;
  }
}

/**
 * Opens the folder holding the key's last segment, reached from `bucket` one
 * held segment at a time (created when `create`): `bucket` itself for a key
 * at the bucket's root. A folder opened here is the caller's to close
 * (closeKeyDir); every one opened on the way is closed.
 */
export function openKeyDir(
  bucket: DirHandle,
  segments: readonly string[],
  where: { location: string; key: string },
  create: boolean,
): DirHandle {
  let dir = bucket;
  try {
    for (let i = 0; i < segments.length - 1; i++) {
      const next = openDirAt(dir, segments[i] as string, where, create);
      if (dir !== bucket) closeDir(dir);
      dir = next;
    }
    return dir;
  } catch (error) {
    if (dir !== bucket) closeDir(dir);
    throw error;
  }
}

/** Closes a folder openKeyDir opened (never the bucket folder, which stays the caller's). */
export function closeKeyDir(dir: DirHandle, bucket: DirHandle): void {
  if (dir !== bucket) closeDir(dir);
}

/**
 * Runs `act` with the folder holding the key's last segment (openKeyDir);
 * every handle opened here is closed when `act` settles. `bucket` stays open
 * (the caller's).
 */
export async function withKeyDir<T>(
  bucket: DirHandle,
  segments: readonly string[],
  where: { location: string; key: string },
  create: boolean,
  act: (dir: DirHandle) => Promise<T> | T,
): Promise<T> {
  const dir = openKeyDir(bucket, segments, where, create);
  try {
    return await act(dir);
  } finally {
    closeKeyDir(dir, bucket);
  }
}

/**
 * fsync a held folder so a rename or link in it survives a crash; best
 * effort (some filesystems refuse). Concurrent callers on one folder path
 * share fsyncs: each gets one that started after its call, so many files
 * landing in one folder cost a few fsyncs, not one each. The fsync runs on
 * the handle of the caller that started it, who waits for it (so it stays open).
 */
export function syncDir(dir: DirHandle): Promise<void> {
  const current = dirSyncs.get(dir.path);
  if (!current) return startDirSync(dir);
  // the running fsync may have started before this caller's change: wait for the next one
  current.queued ??= current.running.then(() => startDirSync(dir));
  return current.queued;
}

interface DirSync {
  running: Promise<void>;
  /** An fsync queued to start when `running` ends, shared by every caller that arrived meanwhile. */
  queued?: Promise<void>;
}

const dirSyncs = new Map<string, DirSync>();

function startDirSync(dir: DirHandle): Promise<void> {
  const entry: DirSync = { running: Promise.resolve() };
  entry.running = fsyncFd(dir.fd)
    .catch(() => undefined)
    .finally(() => {
      if (dirSyncs.get(dir.path) === entry) dirSyncs.delete(dir.path);
    });
  dirSyncs.set(dir.path, entry);
  return entry.running;
}

/** A folder the key needs cannot be made (a file in its place, no permission): the operator can fix it, so transient. */
function unwritableFolder(folder: string, where: { location: string }, error: unknown): TransientError {
  return new TransientError(
    'E_DESTINATION_UNWRITABLE',
    `[switchyard] [fs] cannot create folder ${folder} for ${where.location}: ${errnoOf(error) ?? 'error'}`,
    { location: where.location, path: folder, errno: errnoOf(error) },
    { cause: error },
  );
}

function isSymlinkAt(parent: DirHandle, name: string): boolean {
  try {
    return lstatAt(parent, name).isSymbolicLink();
  } catch {
    return false;
  }
}
