import { hostname } from 'node:os';
import type { ObjectEvent } from '../events/types.js';
import type { RouteResult } from '../router/result.js';
import type { Context } from './context.js';

const INCOMPLETE = ['planned', 'written', 'verified'] as const;

/**
 * Crash recovery, run before a scan or a drain:
 * 1. removes temp files that killed processes left in buckets (never visible
 *    as objects, but they take space);
 * 2. releases claims held by processes of this host that no longer exist, so
 *    their deliveries need not wait for the lease to expire;
 * 3. routes again the sources of deliveries left half-done; the router
 *    finishes them (the destination holds identical bytes: delivered) or
 *    records them `gone`.
 */
export async function recoverInterrupted(ctx: Context): Promise<{ results: RouteResult[]; tempFilesRemoved: number }> {
  let tempFilesRemoved = 0;
  const buckets = new Map<string, { project: string; bucket: string }>();
  for (const r of ctx.referential().routes) {
    buckets.set(`${r.sourceProject}/${r.sourceBucket}`, { project: r.sourceProject, bucket: r.sourceBucket });
    buckets.set(`${r.destinationProject}/${r.destinationBucket}`, { project: r.destinationProject, bucket: r.destinationBucket });
  }
  for (const { project, bucket } of buckets.values()) {
    const store = await ctx.stores.storeFor(project);
    tempFilesRemoved += (await store.cleanup?.(bucket)) ?? 0;
  }

  await releaseDeadLocalOwners(ctx);

  const events = new Map<string, ObjectEvent>();
  let cursor: string | undefined;
  do {
    const page = await ctx.ledger.query({ states: [...INCOMPLETE], limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const record of page.items) {
      const { project, bucket, key } = record.source;
      events.set(`${project}/${bucket}/${key}@${record.generation}`, {
        project,
        bucket,
        key,
        generation: record.generation,
        origin: 'scan',
      });
    }
    cursor = page.nextCursor;
  } while (cursor);
  if (events.size === 0) return { results: [], tempFilesRemoved };
  ctx.logger.info({ count: events.size }, 'finishing deliveries an interrupted run left half-done');
  const results = await ctx.router.routeMany([...events.values()], ctx.config.concurrency);
  return { results, tempFilesRemoved };
}

async function releaseDeadLocalOwners(ctx: Context): Promise<void> {
  if (!ctx.ledger.activeOwners || !ctx.ledger.releaseOwner) return;
  const host = hostname();
  const dead = new Set<string>();
  for (const owner of await ctx.ledger.activeOwners()) {
    const [ownerHost, pid, nonce] = owner.split(':');
    if (ownerHost !== host || !pid || !nonce || isAlive(Number(pid))) continue;
    dead.add(`${ownerHost}:${pid}:${nonce.split('#')[0]}`);
  }
  for (const prefix of dead) {
    const released = await ctx.ledger.releaseOwner(prefix);
    ctx.logger.info({ owner: prefix, released }, 'released claims of a process that no longer runs');
  }
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
