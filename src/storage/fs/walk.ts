import { fstatSync, lstatSync, unlinkSync, type BigIntStats, type Dirent } from 'node:fs';
import { readdirBytes } from '../../util/fs-async.js';
import { isAlive } from '../../util/process.js';
import { at, closeDir, lstatAt, openDirAt, self, SymlinkError, type DirHandle } from './dirs.js';
import { decodeName, escapeName } from './names.js';
import { FS_TEMP_PREFIX, generationOf, isAbandonedTemp, isMissing } from './paths.js';
import type { ListProblem } from '../types.js';

export interface KeyWalkOptions {
  prefix: string;
  /** Only keys strictly greater than this (the page token). */
  after?: string;
  limit: number;
  /** `store/bucket`, for problem messages. */
  location: string;
}

/** A file found by the walk, with its lstat taken through the held folder. */
export interface WalkedFile {
  key: string;
  st: BigIntStats;
}

type Kind = 'file' | 'dir' | 'symlink' | 'encoding';

interface Entry {
  /** The name as a key segment; for an `encoding` entry, its escaped form. */
  name: string;
  /** The raw name (what reaches an `encoding` entry). */
  raw: Buffer;
  kind: Kind;
  /** A folder sorts as `name/`, so sorting siblings gives the keys' lexicographic order. */
  sortKey: string;
}

/**
 * Files under the held bucket folder in lexicographic (UTF-16 code unit)
 * order, lazily: descends only into folders that can hold keys matching the
 * prefix and following `after`, stops after `limit + 1` keys (the extra one
 * tells whether a next page exists). Every folder is opened through its held
 * parent, never through a symbolic link. Temporary files are skipped;
 * symbolic links (E_SYMLINK) and names that are not UTF-8 (E_KEY_ENCODING)
 * are neither followed nor listed but returned as problems, each on the page
 * its key falls in.
 */
export async function walkKeys(
  bucket: DirHandle,
  options: KeyWalkOptions,
  cache?: DirListingCache,
): Promise<{ files: WalkedFile[]; more: boolean; problems: ListProblem[] }> {
  const { prefix, after, limit, location } = options;
  const cut = prefix.lastIndexOf('/') + 1;
  const startKey = prefix.slice(0, cut);
  const startSegments = startKey === '' ? [] : startKey.slice(0, -1).split('/');
  const files: WalkedFile[] = [];
  const problems: ListProblem[] = [];
  if (startSegments.some((s) => s === '' || s === '.' || s === '..' || s.startsWith(FS_TEMP_PREFIX))) {
    return { files, more: false, problems };
  }

  const visit = async (dir: DirHandle, keyPrefix: string): Promise<boolean> => {
    const entries = cache ? await cache.entries(dir) : (await readSorted(dir)).entries;
    for (let i = firstReachable(entries, keyPrefix, prefix, after); i < entries.length; i++) {
      const entry = entries[i]!;
      const span = keyPrefix + entry.sortKey;
      const isDir = entry.kind === 'dir';
      const inPrefix = span.startsWith(prefix) || (isDir && prefix.startsWith(span));
      if (!inPrefix) {
        if (span > prefix) break;
        continue;
      }
      if (isDir) {
        const child = openChild(dir, entry.name, span, location, problems);
        if (!child) continue;
        try {
          if (await visit(child, span)) return true;
        } finally {
          closeDir(child);
        }
      } else if (entry.kind === 'file') {
        const st = lstatEntry(dir, entry, span, location, problems);
        if (st?.isFile()) files.push({ key: span, st });
        if (files.length > limit) return true;
      } else {
        problems.push(problemOf(entry, dir, span, location));
      }
    }
    return false;
  };
  const start = openStart(bucket, startSegments, location, problems);
  if (!start) return { files, more: false, problems };
  let more: boolean;
  try {
    more = await visit(start, startKey);
  } finally {
    if (start !== bucket) closeDir(start);
  }
  if (!more) return { files, more, problems };
  files.length = limit;
  // a problem past the last key returned comes again on the next page
  const last = files[limit - 1]!.key;
  return { files, more, problems: problems.filter((p) => p.key <= last) };
}

/**
 * Whether an entry (a key, or a folder `x/` holding keys) can hold a key >
 * after and ≥ prefix: false…false true…true over sorted siblings.
 */
function reachable(span: string, isDir: boolean, prefix: string, after: string | undefined): boolean {
  const pastAfter = after === undefined || span > after || (isDir && after.startsWith(span));
  return pastAfter && (span >= prefix || (isDir && prefix.startsWith(span)));
}

/** The index of the first sorted sibling that can hold a key of the page (binary search over `reachable`). */
function firstReachable(
  entries: Entry[],
  keyPrefix: string,
  prefix: string,
  after: string | undefined,
): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const e = entries[mid]!;
    if (reachable(keyPrefix + e.sortKey, e.kind === 'dir', prefix, after)) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Opens the folder of the prefix's folder part, one held segment at a time; undefined when there is none. */
function openStart(
  bucket: DirHandle,
  segments: string[],
  location: string,
  problems: ListProblem[],
): DirHandle | undefined {
  let start: DirHandle | undefined = bucket;
  for (let i = 0; i < segments.length && start; i++) {
    const parent: DirHandle = start;
    const span = `${segments.slice(0, i + 1).join('/')}/`;
    start = openChild(parent, segments[i] as string, span, location, problems);
    if (parent !== bucket) closeDir(parent);
  }
  return start;
}

/** Opens a sub-folder met by the walk; undefined when it vanished, or (reported) when it is now a symbolic link. */
function openChild(
  dir: DirHandle,
  name: string,
  span: string,
  location: string,
  problems: ListProblem[],
): DirHandle | undefined {
  try {
    return openDirAt(dir, name, { location: `${location}/${span}`, key: span });
  } catch (error) {
    if (error instanceof SymlinkError) {
      problems.push({ key: span.slice(0, -1), code: 'E_SYMLINK', message: error.message });
      return undefined;
    }
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function lstatEntry(
  dir: DirHandle,
  entry: Entry,
  key: string,
  location: string,
  problems: ListProblem[],
): BigIntStats | undefined {
  try {
    const st = lstatAt(dir, entry.name);
    if (st.isSymbolicLink()) problems.push(problemOf({ ...entry, kind: 'symlink' }, dir, key, location));
    return st;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function problemOf(entry: Entry, dir: DirHandle, key: string, location: string): ListProblem {
  if (entry.kind === 'symlink') {
    return {
      key,
      code: 'E_SYMLINK',
      message: `[switchyard] [fs] ${location}/${key}: expected a file or folder, found a symbolic link; never followed, left in place`,
    };
  }
  const problem: ListProblem = {
    key,
    code: 'E_KEY_ENCODING',
    message: `[switchyard] [fs] ${location}/${key}: expected a UTF-8 name, got bytes that are not UTF-8 (shown as \\xHH); left in place`,
  };
  try {
    const st = lstatSync(Buffer.concat([Buffer.from(at(dir, '')), entry.raw]), { bigint: true });
    if (st.isFile()) {
      problem.generation = generationOf(st);
      problem.size = Number(st.size);
    }
  } catch {
    // gone since listed: reported by name only
  }
  return problem;
}

/**
 * Sorted listings of large folders, reused while the folder is unchanged
 * (same ctime and mtime, fstat'ed through its handle before each readdir).
 * Only folders quiet for `quietMs` and free of symbolic links and non-UTF-8
 * names are kept, so a change can never share the cached timestamps. Paging
 * through 100,000 files in one folder then reads and sorts it once instead
 * of once per page.
 */
export class DirListingCache {
  private readonly cached = new Map<string, { ctimeNs: bigint; mtimeNs: bigint; entries: Entry[] }>();

  constructor(
    private readonly maxDirs = 4,
    private readonly minEntries = 1000,
    private readonly quietMs = 1000,
  ) {}

  async entries(dir: DirHandle): Promise<Entry[]> {
    const st = fstatSync(dir.fd, { bigint: true });
    const hit = this.cached.get(dir.path);
    if (hit && hit.ctimeNs === st.ctimeNs && hit.mtimeNs === st.mtimeNs) {
      this.cached.delete(dir.path);
      this.cached.set(dir.path, hit);
      return hit.entries;
    }
    this.cached.delete(dir.path);
    const { entries, odd } = await readSorted(dir);
    const quietSince = BigInt(Date.now() - this.quietMs) * 1_000_000n;
    if (entries.length >= this.minEntries && !odd && st.ctimeNs < quietSince && st.mtimeNs < quietSince) {
      this.cached.set(dir.path, { ctimeNs: st.ctimeNs, mtimeNs: st.mtimeNs, entries });
      if (this.cached.size > this.maxDirs) this.cached.delete(this.cached.keys().next().value!);
    }
    return entries;
  }
}

async function readNames(dir: DirHandle): Promise<Dirent<Buffer>[]> {
  try {
    return await readdirBytes(self(dir));
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

const TEMP_PREFIX_BYTES = Buffer.from(FS_TEMP_PREFIX);

/** The held folder's entries, sorted; `odd` when a symbolic link or a non-UTF-8 name is among them. */
async function readSorted(dir: DirHandle): Promise<{ entries: Entry[]; odd: boolean }> {
  const entries: Entry[] = [];
  let odd = false;
  for (const d of await readNames(dir)) {
    const raw = d.name;
    if (raw.subarray(0, TEMP_PREFIX_BYTES.length).equals(TEMP_PREFIX_BYTES)) continue;
    const kind = kindOf(dir, d);
    if (!kind) continue;
    const name = decodeName(raw);
    if (name === undefined || kind === 'symlink') {
      odd = true;
      const shown = name ?? escapeName(raw);
      entries.push({ name: shown, raw, kind: name === undefined ? 'encoding' : 'symlink', sortKey: shown });
    } else {
      entries.push({ name, raw, kind, sortKey: kind === 'dir' ? `${name}/` : name });
    }
  }
  entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  return { entries, odd };
}

/** What an entry is, without following it (lstat through the handle when the folder does not say); undefined for sockets, devices and the like. */
function kindOf(dir: DirHandle, d: Dirent<Buffer>): Kind | undefined {
  if (d.isDirectory()) return 'dir';
  if (d.isFile()) return 'file';
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isFIFO() || d.isSocket() || d.isBlockDevice() || d.isCharacterDevice()) return undefined;
  try {
    const st = lstatSync(Buffer.concat([Buffer.from(at(dir, '')), d.name]));
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the abandoned temporary files under the held bucket folder
 * (isAbandonedTemp: their writer on this host is gone, or they are older
 * than `staleMs`); returns how many. Descends only into real folders,
 * through their held parent; never follows symbolic links.
 */
export async function removeTempFiles(bucket: DirHandle, staleMs: number, location: string): Promise<number> {
  const staleBefore = Date.now() - staleMs;
  let removed = 0;
  const visit = async (dir: DirHandle): Promise<void> => {
    for (const d of await readNames(dir)) {
      const name = decodeName(d.name);
      if (name === undefined) continue;
      if (d.isDirectory()) {
        const child = openChild(dir, name, `${name}/`, location, []);
        if (!child) continue;
        try {
          await visit(child);
        } finally {
          closeDir(child);
        }
      } else if (name.startsWith(FS_TEMP_PREFIX)) {
        try {
          const st = lstatAt(dir, name);
          if (st.isFile() && isAbandonedTemp(name, Number(st.mtimeMs), staleBefore, isAlive)) {
            unlinkSync(at(dir, name));
            removed++;
          }
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
      }
    }
  };
  await visit(bucket);
  return removed;
}
