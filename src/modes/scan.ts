import type { ObjectEvent } from '../events/types.js';
import type { DeliveryState } from '../ledger/types.js';
import { isFolderPlaceholder } from '../storage/keys.js';
import type { RouteResult } from '../router/result.js';
import type { Context } from './context.js';
import { recoverInterrupted } from './recover.js';
import { summarizeResults, type RunSummary } from './summary.js';

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
  const results: RouteResult[] = await ctx.router.routeMany(events, options.concurrency, () => {
    options.onProgress?.(++done, events.length);
  });
  return {
    ...summarizeResults([...recovery.results, ...results]),
    listed: events.length + recovered.size,
    recovered: recovery.results.length,
    tempFilesRemoved: recovery.tempFilesRemoved,
  };
}

function locationKey(e: { project?: string; bucket: string; key: string }): string {
  return `${e.project ?? ''}/${e.bucket}/${e.key}`;
}

export const IN_FLIGHT_STATES: DeliveryState[] = ['planned', 'written', 'verified', 'failed'];
