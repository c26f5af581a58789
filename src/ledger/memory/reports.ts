import { newestFirst, type MemoryRecords } from './records.js';
import { countsFromRows, flowsFromRows, routeStatsFromRows, type StateCountRow } from '../report-rows.js';
import { asciiLower, decodeCursor, pageOf, pageSize, scanSize } from '../rules.js';
import type {
  DeliveryPage,
  DeliveryQuery,
  DeliveryRecord,
  FlowStat,
  LedgerCounts,
  LedgerReports,
  RouteStat,
  UnroutedRecord,
  WaitingGroup,
} from '../types.js';
import { oldestFirst } from './waiting.js';

/** The memory ledger's reports: each delivery read as a row of one, folded like the databases' rows. */
export class MemoryReports implements LedgerReports {
  constructor(private readonly records: MemoryRecords) {}

  async get(id: string): Promise<DeliveryRecord | undefined> {
    return this.records.get(id);
  }

  async listWaiting(limit: number): Promise<WaitingGroup[]> {
    return oldestFirst(this.records.waiting.values(), limit);
  }

  async listUnrouted(limit: number, offset = 0): Promise<UnroutedRecord[]> {
    const keyOf = (u: UnroutedRecord): string =>
      `${u.source.project}\u0000${u.source.bucket}\u0000${u.source.key}`;
    return this.openUnrouted()
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt || (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0))
      .slice(Math.max(0, offset), Math.max(0, offset) + Math.max(0, limit))
      .map((u) => structuredClone(u));
  }

  async query(query: DeliveryQuery): Promise<DeliveryPage> {
    const states = query.states ? new Set(query.states) : undefined;
    const needle = query.search ? asciiLower(query.search) : undefined;
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const limit = pageSize(query.limit);
    let range = this.records
      .select(
        (r) =>
          (!states || states.has(r.state)) &&
          (query.routeId === undefined || r.routeId === query.routeId) &&
          (query.sinceMs === undefined || r.updatedAt >= query.sinceMs) &&
          (!after || r.updatedAt < after.updatedAt || (r.updatedAt === after.updatedAt && r.id < after.id)),
      )
      .sort(newestFirst);
    const scan = scanSize(query);
    const boundary = scan !== undefined ? range[scan - 1] : undefined;
    if (scan !== undefined) range = range.slice(0, scan);
    const matches = needle
      ? range.filter(
          (r) => asciiLower(r.source.key).includes(needle) || asciiLower(r.destination.key).includes(needle),
        )
      : range;
    return pageOf(
      matches.slice(0, limit + 1).map((r) => structuredClone(r)),
      limit,
      boundary,
    );
  }

  async counts(): Promise<LedgerCounts> {
    const states = new Map<string, StateCountRow>();
    for (const { state } of this.records.deliveries.values()) {
      const row = states.get(state) ?? { state, n: 0 };
      row.n += 1;
      states.set(state, row);
    }
    const open = this.openUnrouted();
    const oldest = open.length ? Math.min(...open.map((u) => u.firstSeenAt)) : null;
    return countsFromRows(states.values(), { n: open.length, oldest });
  }

  async routeStats(sinceMs?: number): Promise<RouteStat[]> {
    return routeStatsFromRows(
      this.since(sinceMs).map((r) => ({
        route_id: r.routeId,
        state: r.state,
        n: 1,
        bytes: r.size,
        last_at: r.updatedAt,
      })),
    );
  }

  async flows(sinceMs?: number): Promise<FlowStat[]> {
    return flowsFromRows(
      this.since(sinceMs)
        .filter((r) => r.state === 'done')
        .map((r) => ({
          source_project: r.source.project,
          source_bucket: r.source.bucket,
          dest_project: r.destination.project,
          dest_bucket: r.destination.bucket,
          files: 1,
          bytes: r.size,
        })),
    );
  }

  private since(sinceMs: number | undefined): DeliveryRecord[] {
    return this.records.select((r) => sinceMs === undefined || r.updatedAt >= sinceMs);
  }

  private openUnrouted(): UnroutedRecord[] {
    return [...this.records.unrouted.values()].filter((u) => u.resolvedAt === undefined);
  }
}
