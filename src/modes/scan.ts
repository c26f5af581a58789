import type { ObjectEvent } from '../events/types.js';
import type { DeliveryState } from '../ledger/types.js';
import { isFolderPlaceholder } from '../storage/keys.js';
import type { RouteResult } from '../router/result.js';
import { forEachPool, InOrder } from '../util/pool.js';
import type { Context } from './context.js';
import { recoverInterrupted } from './recover.js';
import { SummaryBuilder, type RunSummary } from './summary.js';

export interface ScanOptions {
  concurrency: number;
  /** Called as files are routed: done so far, total listed. */
  onProgress?(done: number, total: number): void;
}

export interface ScanReport extends RunSummary {
  listed: number;
  recovered: number;
  tempFilesRemoved: number;
}

/**
 * Backfill: lists every source bucket of the referential and routes what is
 * there now. First it finishes deliveries a killed run left half-done and
 * removes the temp files it left, so a re-run after a crash ends with nothing
 * lost and nothing duplicated.
 */
export async function scan(ctx: Context, options: ScanOptions): Promise<ScanReport> {
  const referential = ctx.referential();
  const recovery = ctx.config.dryRun ? { results: [], tempFilesRemoved: 0 } : await recoverInterrupted(ctx);
  const recovered = new Set(
    recovery.results.filter((r) => r.outcome !== 'gone').map((r) => locationKey(r.event)),
  );

  const events: ObjectEvent[] = [];
  for (const { project, bucket } of referential.sources()) {
    const store = await ctx.stores.storeFor(project);
    let pageToken: string | undefined;
    do {
      const page = await store.list(bucket, { pageSize: 1000, ...(pageToken ? { pageToken } : {}) });
      for (const item of page.items) {
        if (isFolderPlaceholder(item.key) || recovered.has(locationKey({ project, bucket, key: item.key })))
          continue;
        events.push({
          project,
          bucket,
          key: item.key,
          generation: item.generation,
          size: item.size,
          origin: 'scan',
        });
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  let done = 0;
  options.onProgress?.(0, events.length);
  // Each result is folded into the summary as soon as those listed before it
  // are: a run keeps one line per delivery, not every event's whole result.
  const summary = new SummaryBuilder();
  for (const r of recovery.results) summary.add(r);
  const inOrder = new InOrder<RouteResult>((r) => summary.add(r));
  await forEachPool(events, options.concurrency, async (event, index) => {
    inOrder.put(index, await ctx.router.route(event));
    options.onProgress?.(++done, events.length);
  });
  return {
    ...summary.summary,
    listed: events.length + recovered.size,
    recovered: recovery.results.length,
    tempFilesRemoved: recovery.tempFilesRemoved,
  };
}

function locationKey(e: { project?: string; bucket: string; key: string }): string {
  return `${e.project ?? ''}/${e.bucket}/${e.key}`;
}

export const IN_FLIGHT_STATES: DeliveryState[] = ['planned', 'written', 'verified', 'failed'];
