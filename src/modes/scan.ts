import type { ObjectEvent } from '../model/event.js';
import type { DeliveryState } from '../ledger/types.js';
import { isFolderPlaceholder } from '../model/keys.js';
import type { ListProblem, ObjectInfo } from '../storage/types.js';
import type { RouteResult } from '../router/result.js';
import { forEachPool, InOrder } from '../util/pool.js';
import type { Context } from '../runtime/context.js';
import { recoverInterrupted } from '../runtime/recover.js';
import { SummaryBuilder, type RunSummary, type SummaryOptions } from '../runtime/summary.js';

/** Which listed files a scan routes (a backfill of part of the buckets). */
export interface ScanFilter {
  /** Only keys starting with this (within each bucket), pushed down to every store's listing. */
  prefix?: string;
  /** Only objects last written at least this long ago (ms): not files still landing. */
  minAgeMs?: number;
  /** Only objects last written at most this long ago (ms). */
  maxAgeMs?: number;
}

/** How far a scan is: what it routed, and what it listed so far. */
export interface ScanProgress {
  /** Files routed (whatever their outcome), and their bytes. */
  files: number;
  bytes: number;
  /** Files listed to be routed so far, and their bytes. */
  listed: number;
  listedBytes: number;
  /** Every source bucket is listed: `listed` is the total. */
  listingDone: boolean;
}

export interface ScanOptions {
  concurrency: number;
  filter?: ScanFilter;
  /** The clock ages are measured against (default Date.now, read once at the start). */
  now?: number;
  /** Called as files are listed and routed, and once at the end. */
  onProgress?(progress: Readonly<ScanProgress>): void;
  /**
   * Keep a line per delivery and the name of every unrouted file in the
   * report (default true). Without them a scan's memory does not grow with
   * the number of files: counts, errors and failed deliveries are kept.
   */
  details?: boolean;
  /** Each delivery's line as it is folded into the report, instead of kept in it (SummaryOptions.onDelivery). */
  onDelivery?: SummaryOptions['onDelivery'];
}

export interface ScanReport extends RunSummary {
  listed: number;
  /** Groups (`complete_when`) older than their `group_timeout`, dead-lettered after the listing was routed. */
  groupsTimedOut: number;
  recovered: number;
  tempFilesRemoved: number;
  /** Bytes of the files listed to be routed. */
  bytes: number;
}

/**
 * Backfill: lists every source bucket of the referential and routes what is
 * there now. What a listing cannot offer (a symbolic link, a name that is not
 * UTF-8) is reported in `errors[]`, never touched. First it finishes deliveries a killed run left half-done and
 * removes the temp files it left, so a re-run after a crash ends with nothing
 * lost and nothing duplicated.
 *
 * The listing streams: a page is fetched only as the routing takes its
 * files, so a scan of a million files holds a page, the events in flight and
 * (with `details`) the report's lines, never the whole listing.
 */
export async function scan(ctx: Context, options: ScanOptions): Promise<ScanReport> {
  const recovery = ctx.config.dryRun ? { results: [], tempFilesRemoved: 0 } : await recoverInterrupted(ctx);
  const recovered = new Set(
    recovery.results.filter((r) => r.outcome !== 'gone').map((r) => locationKey(r.event)),
  );
  const summary = new SummaryBuilder({
    details: options.details !== false,
    ...(options.onDelivery ? { onDelivery: options.onDelivery } : {}),
  });
  for (const r of recovery.results) summary.add(r);

  const progress: ScanProgress = { files: 0, bytes: 0, listed: 0, listedBytes: 0, listingDone: false };
  const report = (): void => options.onProgress?.(progress);
  const wanted = admits(options.filter ?? {}, options.now ?? Date.now());
  const listedWhole: ListedBucket[] = [];
  const events = listEvents(ctx, options.filter?.prefix, {
    skip: (event, item) => recovered.has(locationKey(event)) || !wanted(item),
    listed: (event) => {
      progress.listed++;
      progress.listedBytes += event.size ?? 0;
    },
    problem: (source, problem) => summary.addProblem(formatSource(source, problem.key), problem),
    bucketListed: (listed) => listedWhole.push(listed),
    done: () => {
      progress.listingDone = true;
      report();
    },
  });
  // Each result is folded into the summary as soon as those listed before it
  // are: a run keeps one line per delivery, not every event's whole result.
  const inOrder = new InOrder<RouteResult>((r) => summary.add(r));
  report();
  await forEachPool(events, options.concurrency, async ({ event, object }, index) => {
    inOrder.put(index, await ctx.router.route(event, object));
    progress.files++;
    progress.bytes += event.size ?? 0;
    report();
  });
  progress.listingDone = true;
  report();
  if (!ctx.config.dryRun && isWholeListing(options.filter)) await resolveUnseen(ctx, listedWhole);
  const timedOut = ctx.config.dryRun ? [] : await ctx.router.expireGroups();
  return {
    groupsTimedOut: timedOut.length,
    ...summary.summary,
    listed: progress.listed + recovered.size,
    bytes: progress.listedBytes,
    recovered: recovery.results.length,
    tempFilesRemoved: recovery.tempFilesRemoved,
  };
}

/** A source bucket listed to its end, and when its listing began. */
interface ListedBucket {
  project: string;
  bucket: string;
  from: number;
}

interface ListHooks {
  /** True for a file the scan leaves alone (recovered already, or outside the filter). */
  skip(event: ObjectEvent, item: ObjectInfo): boolean;
  listed(event: ObjectEvent): void;
  problem(source: { project: string; bucket: string }, problem: ListProblem): void;
  /** One bucket's listing reached its last page. */
  bucketListed(listed: ListedBucket): void;
  /** Every bucket is listed. */
  done(): void;
}

/**
 * The files of every source bucket, page by page as they are taken, each
 * with what the listing said of it (Router.route). A file
 * whose name is not UTF-8 cannot be routed (it has no key) and is never
 * touched: it is recorded as unrouted under its escaped name, so `status`,
 * the dashboard and the unrouted-files metric show it.
 */
async function* listEvents(
  ctx: Context,
  prefix: string | undefined,
  hooks: ListHooks,
): AsyncGenerator<{ event: ObjectEvent; object: ObjectInfo }> {
  for (const { project, bucket } of ctx.referential().sources()) {
    const store = await ctx.stores.storeFor(project);
    const from = Date.now();
    let pageToken: string | undefined;
    do {
      const page = await store.list(bucket, {
        pageSize: 1000,
        ...(prefix ? { prefix } : {}),
        ...(pageToken ? { pageToken } : {}),
      });
      for (const problem of page.problems ?? []) {
        if (problem.key.startsWith(prefix ?? '')) {
          hooks.problem({ project, bucket }, problem);
          await recordProblem(ctx, { project, bucket }, problem);
        }
      }
      for (const item of page.items) {
        if (isFolderPlaceholder(item.key)) continue;
        const event: ObjectEvent = {
          project,
          bucket,
          key: item.key,
          generation: item.generation,
          size: item.size,
          origin: 'scan',
        };
        if (hooks.skip(event, item)) continue;
        hooks.listed(event);
        yield { event, object: item };
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    hooks.bucketListed({ project, bucket, from });
  }
  hooks.done();
}

/** Whether a listed object passes the filter's ages, measured from `now` to its last write. */
function admits(filter: ScanFilter, now: number): (item: ObjectInfo) => boolean {
  const { minAgeMs, maxAgeMs } = filter;
  if (minAgeMs === undefined && maxAgeMs === undefined) return () => true;
  return (item) => {
    const age = now - item.updated.getTime();
    return (minAgeMs === undefined || age >= minAgeMs) && (maxAgeMs === undefined || age <= maxAgeMs);
  };
}

/** A scan without a prefix or an age filter lists every file of each source bucket. */
function isWholeListing(filter: ScanFilter | undefined): boolean {
  return !filter?.prefix && filter?.minAgeMs === undefined && filter?.maxAgeMs === undefined;
}

/**
 * Once every listed file is routed: a file recorded unrouted that a whole
 * listing of its bucket did not find (deleted or renamed by hand since) is
 * no longer reported unrouted. Its entry was last seen before the listing
 * began; every file the listing found was seen again while routed.
 */
async function resolveUnseen(ctx: Context, listed: readonly ListedBucket[]): Promise<void> {
  for (const { project, bucket, from } of listed) {
    await ctx.ledger.resolveUnroutedUnseen({ project, bucket }, from, Date.now());
  }
}

async function recordProblem(
  ctx: Context,
  source: { project: string; bucket: string },
  problem: ListProblem,
): Promise<void> {
  if (ctx.config.dryRun) return;
  if (problem.code !== 'E_KEY_ENCODING' || problem.generation === undefined) return;
  await ctx.ledger.recordUnrouted(
    { ...source, key: problem.key },
    problem.generation,
    problem.size ?? 0,
    Date.now(),
    problem.code,
  );
}

function formatSource(source: { project: string; bucket: string }, key: string): string {
  return `${source.project}/${source.bucket}/${key}`;
}

function locationKey(e: { project?: string; bucket: string; key: string }): string {
  return `${e.project ?? ''}/${e.bucket}/${e.key}`;
}

export const IN_FLIGHT_STATES: DeliveryState[] = ['planned', 'written', 'verified', 'failed'];
