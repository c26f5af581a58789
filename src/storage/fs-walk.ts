import { promises as fsp, type Dirent } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../util/process.js';
import { FS_TEMP_PREFIX, isAbandonedTemp, isInside, isMissing } from './fs-paths.js';
import { fsMeta } from './fs-meta.js';

export interface KeyWalkOptions {
  prefix: string;
  /** Only keys strictly greater than this (the page token). */
  after?: string;
  limit: number;
}

interface Entry {
  name: string;
  isDir: boolean;
  /** A folder sorts as `name/`, so sorting siblings gives the keys' lexicographic order. */
  sortKey: string;
}

/**
 * Keys under `bucketDir` in lexicographic (UTF-16 code unit) order, lazily:
 * descends only into folders that can hold keys matching the prefix and
 * following `after`, stops after `limit + 1` keys (the extra one tells whether
 * a next page exists). Skips temporary files and symlinks that do not lead
 * to a regular file inside the bucket; never follows folder symlinks.
 */
export async function walkKeys(
  bucketDir: string,
  options: KeyWalkOptions,
  cache?: DirListingCache,
): Promise<{ keys: string[]; more: boolean }> {
  const { prefix, after, limit } = options;
  const cut = prefix.lastIndexOf('/') + 1;
  const startKey = prefix.slice(0, cut);
  const startSegments = startKey === '' ? [] : startKey.slice(0, -1).split('/');
  if (startSegments.some((s) => s === '' || s === '.' || s === '..' || s.startsWith(FS_TEMP_PREFIX))) {
    return { keys: [], more: false };
  }
  const startDir = path.join(bucketDir, ...startSegments);
  let realBucket: string;
  try {
    realBucket = await fsMeta.realpath(bucketDir);
    if (!isInside(realBucket, await fsMeta.realpath(startDir))) return { keys: [], more: false };
  } catch (error) {
    if (isMissing(error)) return { keys: [], more: false };
    throw error;
  }

  /** Whether an entry (a key, or a folder `x/` holding keys) can hold a key > after and ≥ prefix: false…false true…true over sorted siblings. */
  const reachable = (span: string, isDir: boolean): boolean => {
    const pastAfter = after === undefined || span > after || (isDir && after.startsWith(span));
    return pastAfter && (span >= prefix || (isDir && prefix.startsWith(span)));
  };
  const keys: string[] = [];
  const visit = async (dir: string, keyPrefix: string): Promise<boolean> => {
    const entries = cache ? await cache.entries(dir, realBucket) : await sortedEntries(dir, realBucket);
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const e = entries[mid]!;
      if (reachable(keyPrefix + e.sortKey, e.isDir)) high = mid;
      else low = mid + 1;
    }
    for (let i = low; i < entries.length; i++) {
      const entry = entries[i]!;
      const span = keyPrefix + entry.sortKey;
      const inPrefix = span.startsWith(prefix) || (entry.isDir && prefix.startsWith(span));
      if (!inPrefix) {
        if (span > prefix) break;
        continue;
      }
      if (entry.isDir) {
        if (await visit(path.join(dir, entry.name), span)) return true;
      } else {
        keys.push(span);
        if (keys.length > limit) return true;
      }
    }
    return false;
  };
  const more = await visit(startDir, startKey);
  if (more) keys.length = limit;
  return { keys, more };
}

/**
 * Sorted listings of large folders, reused while the folder is unchanged
 * (same ctime and mtime, stat'ed before each readdir). Only folders quiet for
 * `quietMs` and without symlinks are kept, so a change can never share the
 * cached timestamps. Paging through 100,000 files in one folder then reads
 * and sorts it once instead of once per page.
 */
export class DirListingCache {
  private readonly cached = new Map<string, { ctimeNs: bigint; mtimeNs: bigint; entries: Entry[] }>();

  constructor(
    private readonly maxDirs = 4,
    private readonly minEntries = 1000,
    private readonly quietMs = 1000,
  ) {}

  async entries(dir: string, realBucket: string): Promise<Entry[]> {
    let st;
    try {
      st = await fsMeta.stat(dir);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const hit = this.cached.get(dir);
    if (hit && hit.ctimeNs === st.ctimeNs && hit.mtimeNs === st.mtimeNs) {
      this.cached.delete(dir);
      this.cached.set(dir, hit);
      return hit.entries;
    }
    this.cached.delete(dir);
    const { entries, symlinks } = await readSorted(dir, realBucket);
    const quietSince = BigInt(Date.now() - this.quietMs) * 1_000_000n;
    if (
      entries.length >= this.minEntries &&
      !symlinks &&
      st.ctimeNs < quietSince &&
      st.mtimeNs < quietSince
    ) {
      this.cached.set(dir, { ctimeNs: st.ctimeNs, mtimeNs: st.mtimeNs, entries });
      if (this.cached.size > this.maxDirs) this.cached.delete(this.cached.keys().next().value!);
    }
    return entries;
  }
}

async function sortedEntries(dir: string, realBucket: string): Promise<Entry[]> {
  return (await readSorted(dir, realBucket)).entries;
}

async function readSorted(dir: string, realBucket: string): Promise<{ entries: Entry[]; symlinks: boolean }> {
  let dirents: Dirent[];
  try {
    dirents = await fsp.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return { entries: [], symlinks: false };
    throw error;
  }
  const entries: Entry[] = [];
  let symlinks = false;
  for (const d of dirents) {
    if (d.name.startsWith(FS_TEMP_PREFIX)) continue;
    let isDir = d.isDirectory();
    let isFile = d.isFile();
    if (!isDir && !isFile && (d.isSymbolicLink() || isUnknown(d))) {
      symlinks ||= d.isSymbolicLink();
      const kind = await classify(path.join(dir, d.name), realBucket, d.isSymbolicLink());
      isDir = kind === 'dir';
      isFile = kind === 'file';
    }
    if (isDir) entries.push({ name: d.name, isDir, sortKey: d.name + '/' });
    else if (isFile) entries.push({ name: d.name, isDir, sortKey: d.name });
  }
  entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  return { entries, symlinks };
}

function isUnknown(d: Dirent): boolean {
  return (
    !d.isDirectory() &&
    !d.isFile() &&
    !d.isSymbolicLink() &&
    !d.isFIFO() &&
    !d.isSocket() &&
    !d.isBlockDevice() &&
    !d.isCharacterDevice()
  );
}

async function classify(
  file: string,
  realBucket: string,
  symlink: boolean,
): Promise<'file' | 'dir' | 'other'> {
  try {
    if (symlink) {
      const real = await fsp.realpath(file);
      if (!isInside(realBucket, real)) return 'other';
      return (await fsp.stat(real)).isFile() ? 'file' : 'other';
    }
    const st = await fsp.lstat(file);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'other';
  }
}

/**
 * Removes the abandoned temporary files under a bucket (isAbandonedTemp:
 * their writer on this host is gone, or they are older than `staleMs`);
 * returns how many. Never follows symlinks.
 */
export async function removeTempFiles(bucketDir: string, staleMs: number): Promise<number> {
  const staleBefore = Date.now() - staleMs;
  let removed = 0;
  const visit = async (dir: string): Promise<void> => {
    let dirents: Dirent[];
    try {
      dirents = await fsp.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const d of dirents) {
      const full = path.join(dir, d.name);
      if (d.isDirectory()) {
        await visit(full);
      } else if (d.name.startsWith(FS_TEMP_PREFIX)) {
        try {
          const st = await fsp.lstat(full);
          if (!st.isDirectory() && isAbandonedTemp(d.name, st.mtimeMs, staleBefore, isAlive)) {
            await fsp.unlink(full);
            removed++;
          }
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
      }
    }
  };
  await visit(bucketDir);
  return removed;
}
