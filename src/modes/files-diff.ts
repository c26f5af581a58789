import { formatLocation, isFolderPlaceholder, type Location } from '../model/keys.js';
import type { Referential } from '../referential/types.js';
import { planDeliveries, type PlannedDelivery } from '../router/plan.js';
import type { ObjectInfo, ObjectStore } from '../storage/types.js';

/**
 * Files that would go from one route to another: `from` is the route of
 * OLD whose destination the file loses (null: a destination it did not have
 * under OLD, unrouted there when it had none), `to` the route of NEW that
 * sends it elsewhere (null: a destination it no longer gets, unrouted under
 * NEW when it has none left).
 */
export interface RouteChange {
  from: string | null;
  to: string | null;
  files: number;
  /** `PROJECT/BUCKET/KEY` of the first files listed, at most `examples` (3). */
  examples: string[];
}

export interface FilesDiff {
  /** Files whose set of destinations differs (those that become unrouted included). */
  changed: number;
  /** Files some row routes under OLD and no row matches under NEW. */
  unrouted: number;
  /** By (from, to), most files first. A file sent to several destinations may count in several. */
  byRoute: RouteChange[];
}

export interface FilesDiffOptions {
  /** Example names kept per (from, to) (default 3). */
  examples?: number;
  /** Listing page size (default 1000). */
  pageSize?: number;
}

/**
 * Where the files now in the source buckets (of either referential) would
 * go under `before` and under `after`, without moving anything: each bucket
 * is listed page by page through its project's store, as `scan` lists it,
 * and each file is planned as the router plans it (every matching row, its
 * directory expanded with the file's creation time). Memory holds a page and
 * one entry per (from, to) pair, whatever the number of files. Entries a
 * listing cannot offer (a symbolic link, a name that is not UTF-8) and
 * folder placeholders are routed by neither and left out.
 */
export async function diffFiles(
  before: Referential,
  after: Referential,
  stores: { storeFor(project: string): Promise<ObjectStore> },
  options: FilesDiffOptions = {},
): Promise<FilesDiff & { listed: number }> {
  const examples = options.examples ?? 3;
  const changes = new Map<string, RouteChange>();
  let listed = 0;
  let changed = 0;
  let unrouted = 0;
  for (const { project, bucket } of sourcesOf(before, after)) {
    const store = await stores.storeFor(project);
    let pageToken: string | undefined;
    do {
      const page = await store.list(bucket, {
        pageSize: options.pageSize ?? 1000,
        ...(pageToken ? { pageToken } : {}),
      });
      for (const item of page.items) {
        if (isFolderPlaceholder(item.key)) continue;
        listed++;
        const source = { project, bucket, key: item.key };
        const pairs = routeChangesOf(before, after, source, item);
        if (!pairs) continue;
        changed++;
        if (pairs.unrouted) unrouted++;
        for (const [from, to] of pairs.changes) {
          const key = JSON.stringify([from, to]);
          let entry = changes.get(key);
          if (!entry) changes.set(key, (entry = { from, to, files: 0, examples: [] }));
          entry.files++;
          if (entry.examples.length < examples) entry.examples.push(formatLocation(source));
        }
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
  }
  const byRoute = [...changes.values()].sort(
    (a, b) => b.files - a.files || compareId(a.from, b.from) || compareId(a.to, b.to),
  );
  return { changed, unrouted, byRoute, listed };
}

/** Every source bucket of either referential, once, OLD's first. */
function sourcesOf(before: Referential, after: Referential): Array<{ project: string; bucket: string }> {
  const seen = new Set<string>();
  return [...before.sources(), ...after.sources()].filter((s) => {
    const key = `${s.project}\u0000${s.bucket}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * How one file's destinations change, as (from, to) route pairs; undefined
 * when it goes to the same places under both. A route of both sides whose
 * destination moved pairs with itself; the other lost and gained
 * destinations pair in row order, what is left pairs with null.
 */
function routeChangesOf(
  before: Referential,
  after: Referential,
  source: Location,
  item: ObjectInfo,
): { changes: Array<[string | null, string | null]>; unrouted: boolean } | undefined {
  const old = planDeliveries(before, source, item).deliveries;
  const plan = planDeliveries(after, source, item);
  const oldKeys = new Set(old.map(destinationOf));
  const newKeys = new Set(plan.deliveries.map(destinationOf));
  const lost = old.filter((d) => !newKeys.has(destinationOf(d))).map((d) => d.route.id);
  const gained = plan.deliveries.filter((d) => !oldKeys.has(destinationOf(d))).map((d) => d.route.id);
  if (lost.length === 0 && gained.length === 0) return undefined;
  const changes: Array<[string | null, string | null]> = [];
  for (const id of [...lost]) {
    const at = gained.indexOf(id);
    if (at === -1) continue;
    changes.push([id, id]);
    gained.splice(at, 1);
    lost.splice(lost.indexOf(id), 1);
  }
  while (lost.length > 0 && gained.length > 0) changes.push([lost.shift()!, gained.shift()!]);
  for (const id of lost) changes.push([id, null]);
  for (const id of gained) changes.push([null, id]);
  const unrouted = plan.deliveries.length === 0 && plan.refused.length === 0;
  return { changes, unrouted };
}

function destinationOf(delivery: PlannedDelivery): string {
  return formatLocation(delivery.plan.destination);
}

/** Route ids in code-point order, null last. */
function compareId(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
