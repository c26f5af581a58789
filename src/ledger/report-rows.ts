import { sortFlows } from './rules.js';
import type { DeliveryState, FlowStat, LedgerCounts, RouteStat } from './types.js';
import { zeroStateCounts } from './types.js';

/**
 * What every ledger's reports reduce to before they become report objects:
 * grouped rows, as SQL returns them (SQLite adds its rollups' partial rows up
 * here; PostgreSQL's come grouped already) or as the memory ledger makes
 * them, one per delivery. A row counting nothing (a rollup bucket a reopened
 * delivery left) is skipped.
 */

/** How many deliveries are in one state. */
export interface StateCountRow {
  state: string;
  n: number;
}

/** The open (unresolved) unrouted files: how many, and the first sighting of the oldest. */
export interface UnroutedCountRow {
  n: number;
  oldest: number | null;
}

/** Deliveries of one route in one state: how many, their bytes, the last update among them. */
export interface RouteStateRow {
  route_id: string;
  state: string;
  n: number;
  /** Needed for `done` rows only. */
  bytes?: number | null;
  last_at: number | null;
}

/** Done deliveries from one source bucket to one destination bucket. */
export interface FlowRow {
  source_project: string;
  source_bucket: string;
  dest_project: string;
  dest_bucket: string;
  files: number;
  bytes: number;
}

export function countsFromRows(states: Iterable<StateCountRow>, unrouted?: UnroutedCountRow): LedgerCounts {
  const byState = zeroStateCounts();
  for (const row of states) byState[row.state as DeliveryState] += Number(row.n);
  const counts: LedgerCounts = { byState, unrouted: Number(unrouted?.n ?? 0) };
  if (unrouted?.oldest !== null && unrouted?.oldest !== undefined)
    counts.oldestUnroutedAt = Number(unrouted.oldest);
  return counts;
}

/** Per route, sorted by id: deliveries, done / failed / dead among them, the bytes of the done ones. */
export function routeStatsFromRows(rows: Iterable<RouteStateRow>): RouteStat[] {
  const stats = new Map<string, RouteStat>();
  for (const row of rows) {
    const n = Number(row.n);
    if (!n) continue;
    let stat = stats.get(row.route_id);
    if (!stat) {
      stat = { routeId: row.route_id, deliveries: 0, done: 0, failed: 0, dead: 0, bytes: 0 };
      stats.set(row.route_id, stat);
    }
    stat.deliveries += n;
    if (row.state === 'done') {
      stat.done += n;
      stat.bytes += Number(row.bytes ?? 0);
    }
    if (row.state === 'failed') stat.failed += n;
    if (row.state === 'dead') stat.dead += n;
    if (row.last_at !== null) {
      const at = Number(row.last_at);
      stat.lastAt = Math.max(stat.lastAt ?? at, at);
    }
  }
  return [...stats.values()].sort((a, b) => (a.routeId < b.routeId ? -1 : a.routeId > b.routeId ? 1 : 0));
}

/** Per (source project, source bucket, destination project, destination bucket), sorted as `sortFlows`. */
export function flowsFromRows(rows: Iterable<FlowRow>): FlowStat[] {
  const flows = new Map<string, FlowStat>();
  for (const row of rows) {
    if (!Number(row.files)) continue;
    const key = JSON.stringify([row.source_project, row.source_bucket, row.dest_project, row.dest_bucket]);
    const flow = flows.get(key) ?? {
      sourceProject: row.source_project,
      sourceBucket: row.source_bucket,
      destinationProject: row.dest_project,
      destinationBucket: row.dest_bucket,
      files: 0,
      bytes: 0,
    };
    flow.files += Number(row.files);
    flow.bytes += Number(row.bytes);
    flows.set(key, flow);
  }
  return sortFlows([...flows.values()]);
}
