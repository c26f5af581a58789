import { os } from '../util/builtins.js';
import { isAlive } from '../util/process.js';
import type { Context } from './context.js';

/**
 * Upkeep after processes die: their ledger claims and their temp files. Safe
 * next to live workers, so one-shot recovery (scan, batch) and long-running
 * workers share it.
 */

/** Every project/bucket the referential reads from or writes to. */
export function referentialBuckets(ctx: Context): { project: string; bucket: string }[] {
  const buckets = new Map<string, { project: string; bucket: string }>();
  for (const r of ctx.referential().routes) {
    buckets.set(`${r.sourceProject}/${r.sourceBucket}`, { project: r.sourceProject, bucket: r.sourceBucket });
    buckets.set(`${r.destinationProject}/${r.destinationBucket}`, {
      project: r.destinationProject,
      bucket: r.destinationBucket,
    });
  }
  return [...buckets.values()];
}

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
  const host = os().hostname();
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
 * Removes the temp files killed processes left in the referential's buckets
 * (ObjectStore.cleanup: a live writer's file is never removed; one whose
 * writer cannot be checked is removed after `staleMs`). Returns how many.
 */
export async function sweepTempFiles(ctx: Context, staleMs?: number): Promise<number> {
  let removed = 0;
  for (const { project, bucket } of referentialBuckets(ctx)) {
    const store = await ctx.stores.storeFor(project);
    removed += (await store.cleanup?.(bucket, staleMs)) ?? 0;
  }
  return removed;
}
