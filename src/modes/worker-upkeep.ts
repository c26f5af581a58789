import { promises as fsp, type Dirent } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { FS_TEMP_PREFIX } from '../storage/fs-paths.js';
import type { Context } from './context.js';

/**
 * Upkeep a worker does next to other live workers, where the one-shot
 * recovery of `scan` and `batch` (recoverInterrupted) would be unsafe: it
 * removes every temp file, including those a live worker is writing.
 */

/**
 * Ends the ledger leases held by processes of this host that no longer run
 * (a worker killed and restarted by its supervisor), so their deliveries are
 * taken over at once instead of when the lease expires. Returns how many.
 */
export async function releaseDeadLocalClaims(
  ctx: Context,
  alive: (pid: number) => boolean = isAlive,
): Promise<number> {
  if (!ctx.ledger.activeOwners || !ctx.ledger.releaseOwner) return 0;
  const host = hostname();
  const dead = new Set<string>();
  for (const owner of await ctx.ledger.activeOwners()) {
    const [ownerHost, pid, nonce] = owner.split(':');
    if (ownerHost !== host || !pid || !nonce || alive(Number(pid))) continue;
    dead.add(`${ownerHost}:${pid}:${nonce.split('#')[0]}`);
  }
  let released = 0;
  for (const prefix of dead) {
    const count = await ctx.ledger.releaseOwner(prefix);
    released += count;
    ctx.logger.info({ owner: prefix, released: count }, 'released claims of a process that no longer runs');
  }
  return released;
}

/**
 * Removes the temp files killed processes left in the local-folder buckets of
 * the referential. A temp file counts as abandoned only when both its name's
 * creation time and its last modification are older than `maxAgeMs`: a live
 * write keeps touching its file, and a hard-linked move (which inherits the
 * source's old mtime) is named when it is made and lives for microseconds.
 * Cloud stores keep no temp objects. Returns how many were removed.
 */
export async function sweepTempFiles(
  ctx: Context,
  maxAgeMs: number,
  now: () => number = Date.now,
): Promise<number> {
  const { FsStore } = await import('../storage/fs.js');
  const buckets = new Map<string, { project: string; bucket: string }>();
  for (const r of ctx.referential().routes) {
    buckets.set(`${r.sourceProject}/${r.sourceBucket}`, { project: r.sourceProject, bucket: r.sourceBucket });
    buckets.set(`${r.destinationProject}/${r.destinationBucket}`, {
      project: r.destinationProject,
      bucket: r.destinationBucket,
    });
  }
  let removed = 0;
  for (const { project, bucket } of buckets.values()) {
    const store = await ctx.stores.storeFor(project);
    if (!(store instanceof FsStore)) continue;
    removed += await sweepFolder(path.resolve(store.root, bucket), now() - maxAgeMs);
  }
  return removed;
}

async function sweepFolder(dir: string, deadline: number): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return 0;
    throw error;
  }
  let removed = 0;
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      removed += await sweepFolder(full, deadline);
      continue;
    }
    if (!entry.name.startsWith(FS_TEMP_PREFIX)) continue;
    const created = tempCreatedAt(entry.name);
    if (created !== undefined && created > deadline) continue;
    try {
      const st = await fsp.lstat(full);
      if (st.isDirectory() || st.mtimeMs > deadline) continue;
      await fsp.unlink(full);
      removed++;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
  return removed;
}

/** Creation time (epoch ms) in a temp name `PREFIX[tag-]<base36 ms>-<random>`; undefined when it has none. */
export function tempCreatedAt(name: string): number | undefined {
  const parts = name.slice(FS_TEMP_PREFIX.length).split('-');
  if (parts.length < 2) return undefined;
  const stamp = parts.length >= 3 ? parts[1] : parts[0];
  if (!stamp || !/^[0-9a-z]{6,10}$/.test(stamp)) return undefined;
  const ms = parseInt(stamp, 36);
  return ms > Date.UTC(2020, 0, 1) && ms < Date.now() + 86_400_000 ? ms : undefined;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
