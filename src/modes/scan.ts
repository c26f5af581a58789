import type { ObjectEvent } from '../model/event.js';
import type { DeliveryState } from '../ledger/types.js';
import { isFolderPlaceholder } from '../model/keys.js';
import type { ListProblem } from '../storage/types.js';
import type { RouteResult } from '../router/result.js';
import { forEachPool, InOrder } from '../util/pool.js';
import type { Context } from '../runtime/context.js';
import { recoverInterrupted } from '../runtime/recover.js';
import { SummaryBuilder, type RunSummary } from '../runtime/summary.js';

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
 * there now. What a listing cannot offer (a symbolic link, a name that is not
 * UTF-8) is reported in `errors[]`, never touched. First it finishes deliveries a killed run left half-done and
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
  const problems: SourceProblem[] = [];
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
      for (const problem of page.problems ?? []) problems.push({ project, bucket, problem });
      pageToken = page.nextPageToken;
    } while (pageToken);
  }
  await recordProblems(ctx, problems);

  let done = 0;
  options.onProgress?.(0, events.length);
  // Each result is folded into the summary as soon as those listed before it
  // are: a run keeps one line per delivery, not every event's whole result.
  const summary = new SummaryBuilder();
  for (const r of recovery.results) summary.add(r);
  for (const p of problems) summary.addProblem(`${p.project}/${p.bucket}/${p.problem.key}`, p.problem);
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

interface SourceProblem {
  project: string;
  bucket: string;
  problem: ListProblem;
}

/**
 * A file whose name is not UTF-8 cannot be routed (it has no key) and is
 * never touched: it is recorded as unrouted under its escaped name, so
 * `status`, the dashboard and the unrouted-files metric show it.
 */
async function recordProblems(ctx: Context, problems: SourceProblem[]): Promise<void> {
  if (ctx.config.dryRun) return;
  const now = Date.now();
  for (const { project, bucket, problem } of problems) {
    if (problem.code !== 'E_KEY_ENCODING' || problem.generation === undefined) continue;
    const source = { project, bucket, key: problem.key };
    await ctx.ledger.recordUnrouted(source, problem.generation, problem.size ?? 0, now, problem.code);
  }
}

function locationKey(e: { project?: string; bucket: string; key: string }): string {
  return `${e.project ?? ''}/${e.bucket}/${e.key}`;
}

export const IN_FLIGHT_STATES: DeliveryState[] = ['planned', 'written', 'verified', 'failed'];
