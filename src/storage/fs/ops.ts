import { constants, linkSync, promises as fsp, renameSync, unlinkSync, type BigIntStats } from 'node:fs';
import { NotFoundError, PermanentError, PreconditionError } from '../../model/errors.js';
import { commitFile, currentGeneration, removeAt } from './atomic.js';
import { at, lstatAt, RACE_FREE, SymlinkError, syncDir, type DirHandle } from './dirs.js';
import { errnoOf, generationOf, isMissing, tempName, wrapFsError, type ResolvedKey } from './paths.js';
import { fsMeta } from './meta.js';
import type { CopyOptions } from '../types.js';

// The steps of FsStore's operations, acted through held folders (fs-dirs.ts).

/** A file opened for reading: never through a symbolic link, never waiting on a FIFO planted under a key. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Where a key's folder is acted in: the message location and the key, for E_SYMLINK. */
export interface KeyWhere {
  location: string;
  key: string;
}

/** Lstat of the key's file in its held folder: undefined for a folder or anything not a file; a symbolic link → E_SYMLINK. */
export function fileAt(dir: DirHandle, name: string, where: KeyWhere): BigIntStats | undefined {
  const st = lstatAt(dir, name);
  if (st.isSymbolicLink()) throw new SymlinkError(where.location, where.key, `${dir.path}/${name}`);
  return st.isFile() ? st : undefined;
}

export async function openFileAt(dir: DirHandle, name: string, where: KeyWhere): Promise<fsp.FileHandle> {
  try {
    return await fsp.open(at(dir, name), READ_FLAGS);
  } catch (error) {
    if (errnoOf(error) === 'ELOOP') throw new SymlinkError(where.location, where.key, `${dir.path}/${name}`);
    throw error;
  }
}

/**
 * Where acts go by path (no /proc), the kernel copied the source by path:
 * that path must still name the file the handle holds. On Linux it copied
 * from the handle itself.
 */
export async function pathStillHolds(file: string, generation: string): Promise<boolean> {
  if (RACE_FREE) return true;
  const st = await fsMeta.stat(file).catch(() => undefined);
  return st !== undefined && generationOf(st) === generation;
}

/**
 * Checks the target before any bytes move: a symbolic link under the key is
 * refused (E_SYMLINK: never replaced, never followed); with
 * `ifGenerationMatch`, a target already not the generation wanted fails
 * early (checked again at commit).
 */
export function precheck(dir: DirHandle, name: string, where: KeyWhere, ifGenerationMatch?: string): void {
  const actual = currentGeneration(dir, name);
  if (actual === 'symlink') throw new SymlinkError(where.location, where.key, `${dir.path}/${name}`);
  if (ifGenerationMatch === undefined) return;
  if (ifGenerationMatch === '0' ? actual !== undefined : actual !== ifGenerationMatch) {
    throw new PreconditionError(where.location, ifGenerationMatch, actual);
  }
}

/** Unlinks the verified file `st`; with `expected`, through a rename aside and a second check (see FsStore.delete). */
export function deleteChecked(
  dir: DirHandle,
  name: string,
  location: string,
  st: BigIntStats,
  expected: string | undefined,
): void {
  if (expected === undefined) {
    unlinkSync(at(dir, name));
    return;
  }
  if (generationOf(st) !== expected) throw new PreconditionError(location, expected, generationOf(st));
  const held = tempName('del-');
  renameSync(at(dir, name), at(dir, held));
  const aside = lstatAt(dir, held);
  if (generationOf(aside) !== expected) {
    try {
      linkSync(at(dir, held), at(dir, name));
    } catch {
      // a newer file already took the name: it stays
    }
    removeAt(dir, held);
    throw new PreconditionError(location, expected, generationOf(aside));
  }
  unlinkSync(at(dir, held));
}

/** A file's name in the held folder that holds it, and how messages name it. */
export interface HeldEntry {
  dir: DirHandle;
  name: string;
  where: KeyWhere;
}

/** FsStore.rename between two held folders; returns the stats of the moved inode. */
export async function moveLinked(from: HeldEntry, to: HeldEntry, options: CopyOptions): Promise<BigIntStats> {
  let generation = options.ifSourceGenerationMatch;
  if (generation === undefined) {
    const st = fileAt(from.dir, from.name, from.where);
    if (!st) throw new NotFoundError(from.where.location);
    generation = generationOf(st);
  }
  let linked: BigIntStats;
  if ((options.ifGenerationMatch ?? '0') === '0') {
    linked = linkChecked(from, to, generation);
    await syncDir(to.dir);
  } else {
    const tmp = tempName('mv-');
    linked = linkChecked(from, { ...to, name: tmp }, generation);
    await commitFile(to.dir, tmp, to.name, to.where.location, options.ifGenerationMatch);
  }
  await options.beforeSourceRemoved?.();
  unlinkIfSame(from, linked);
  await syncDir(from.dir);
  return linked;
}

/**
 * Hard-links the source at `to`, which link(2) never replaces, and checks
 * the linked inode is `generation`; if a writer replaced the source in
 * between, the link is taken back (it is ours: the name was free) and the
 * mismatch thrown. Returns the linked inode's stats. Not durable until the
 * folder of `to` is fsynced.
 */
export function linkChecked(from: HeldEntry, to: HeldEntry, generation: string): BigIntStats {
  linkOrExplain(at(from.dir, from.name), to, from.where.location);
  const linked = lstatAt(to.dir, to.name);
  if (generationOf(linked) !== generation) {
    removeAt(to.dir, to.name);
    throw linkMismatch(from, generation, linked);
  }
  return linked;
}

/** Unlinks the source only if its name still holds the inode moved (dev, inode): a file written there since stays. */
export function unlinkIfSame(from: HeldEntry, linked: BigIntStats): void {
  const still = lstatOrUndefined(from.dir, from.name);
  if (still && still.ino === linked.ino && still.dev === linked.dev) unlinkSync(at(from.dir, from.name));
}

function lstatOrUndefined(dir: DirHandle, name: string): BigIntStats | undefined {
  try {
    return lstatAt(dir, name);
  } catch {
    return undefined;
  }
}

/**
 * link(2) with its refusals explained: another filesystem or no hard links
 * there → E_UNSUPPORTED (the caller copies instead); the target exists →
 * PreconditionError naming the generation found there.
 */
function linkOrExplain(source: string, to: HeldEntry, srcWhere: string): void {
  try {
    linkSync(source, at(to.dir, to.name));
  } catch (error) {
    const errno = errnoOf(error) ?? '';
    const where = to.where.location;
    if (errno === 'EXDEV') throw unsupported(srcWhere, where, 'different filesystems');
    if (['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'].includes(errno)) {
      throw unsupported(srcWhere, where, `no hard links here (${errno})`);
    }
    if (errno === 'EEXIST') {
      const found = currentGeneration(to.dir, to.name);
      if (found === 'symlink') throw new SymlinkError(where, to.where.key, `${to.dir.path}/${to.name}`);
      throw new PreconditionError(where, '0', found, { cause: error });
    }
    throw error;
  }
}

/**
 * What a hard link that is not the generation expected means: a symbolic
 * link (link(2) links the link itself; never followed: E_SYMLINK), or a
 * source replaced in between.
 */
function linkMismatch(from: HeldEntry, generation: string, linked: BigIntStats): Error {
  if (linked.isSymbolicLink())
    return new SymlinkError(from.where.location, from.where.key, `${from.dir.path}/${from.name}`);
  return new PreconditionError(from.where.location, generation, generationOf(linked));
}

function unsupported(from: string, to: string, reason: string): PermanentError {
  return new PermanentError('E_UNSUPPORTED', `[switchyard] [fs] cannot rename ${from} to ${to}: ${reason}`, {
    from,
    to,
    reason,
  });
}

/** What a failed rename throws: its source missing → NotFoundError; anything else named at the destination. */
export function renameFailure(
  error: unknown,
  srcWhere: KeyWhere,
  where: KeyWhere,
  rd: ResolvedKey | undefined,
): Error {
  if (isMissing(error)) return new NotFoundError(srcWhere.location, { cause: error });
  return wrapFsError(error, 'rename', where.location, rd?.file ?? where.location);
}

/** fsyncs each distinct folder once, all at once. */
export async function syncEach(dirs: DirHandle[]): Promise<void> {
  const byPath = new Map(dirs.map((dir) => [dir.path, dir]));
  await Promise.all([...byPath.values()].map(syncDir));
}
