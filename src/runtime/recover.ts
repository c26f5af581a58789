import type { ObjectEvent } from '../model/event.js';
import type { RouteResult } from '../router/result.js';
import type { Context } from './context.js';
import { releaseDeadLocalClaims, sweepTempFiles } from './upkeep.js';

const INCOMPLETE = ['planned', 'written', 'verified'] as const;

/**
 * Crash recovery, run before a scan or a drain:
 * 1. removes temp files that killed processes left in buckets (never visible
 *    as objects, but they take space; a live process's are kept);
 * 2. releases claims held by processes of this host that no longer exist, so
 *    their deliveries need not wait for the lease to expire;
 * 3. routes again the sources of deliveries left half-done; the router
 *    finishes them (the destination holds identical bytes: delivered) or
 *    records them `gone`.
 */
export async function recoverInterrupted(
  ctx: Context,
): Promise<{ results: RouteResult[]; tempFilesRemoved: number }> {
  const tempFilesRemoved = await sweepTempFiles(ctx);
  await releaseDeadLocalClaims(ctx);

  const events = new Map<string, ObjectEvent>();
  let cursor: string | undefined;
  do {
    const page = await ctx.reports.query({
      states: [...INCOMPLETE],
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
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
