import {
  countsFromRows,
  flowsFromRows,
  routeStatsFromRows,
  type FlowRow,
  type RouteStateRow,
  type StateCountRow,
  type UnroutedCountRow,
} from '../report-rows.js';
import { recordFromRow, unroutedFromRow, type UnroutedRow } from '../rows.js';
import { OPEN_WAITING, waitingFromRow, type WaitingRow } from '../waiting-rows.js';
import { pageOf, pageSize, scanSize } from '../rules.js';
import type { SqliteConnection } from './connection.js';
import { COUNT_DONE, FLOW_ROLLUP, rollupParams, ROUTE_ROLLUP, windowParts } from './rollup.js';
import { COUNT_NOT_DONE, pageSql, ROUTE_NOT_DONE, type Position } from './sql.js';
import type {
  DeliveryPage,
  DeliveryQuery,
  DeliveryRecord,
  DeliveryState,
  FlowStat,
  LedgerCounts,
  LedgerReports,
  RouteStat,
  UnroutedRecord,
  WaitingGroup,
} from '../types.js';

/**
 * The SQLite ledger's reports: pages on the `(updated_at, id)` and state
 * indexes; done deliveries counted from the rollups (sqlite-rollup.ts), every
 * other state from the state index. Several reads run in one read
 * transaction: one consistent snapshot.
 */
export class SqliteReports implements LedgerReports {
  constructor(private readonly c: SqliteConnection) {}

  async listWaiting(limit: number): Promise<WaitingGroup[]> {
    return this.c.rows<WaitingRow>(OPEN_WAITING('?'), [limit]).map(waitingFromRow);
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    return this.c.getOne(id);
  }

  async listUnrouted(limit: number, offset = 0): Promise<UnroutedRecord[]> {
    return this.c
      .rows<UnroutedRow>(
        `SELECT * FROM unrouted WHERE resolved_at IS NULL
       ORDER BY last_seen_at DESC, project, bucket, key LIMIT ? OFFSET ?`,
        [Math.max(0, limit), Math.max(0, offset)],
      )
      .map(unroutedFromRow);
  }

  /**
   * Keyset pages over `(updated_at, id)`. Several states run as one indexed
   * query per state, merged here: each stays an ordered index range however
   * many rows the states hold. A search with `scanLimit` first finds, per
   * state, the position `scanLimit` rows down the range (an index-only skip),
   * and examines rows down to the newest of those positions only.
   */
  async query(query: DeliveryQuery): Promise<DeliveryPage> {
    const limit = pageSize(query.limit);
    const states: Array<DeliveryState | undefined> = query.states ? [...new Set(query.states)] : [undefined];
    const scan = scanSize(query);
    const { rows, from } = this.c.tx.read(() => {
      let from: Position | undefined;
      if (scan !== undefined) {
        for (const state of states) {
          const { sql, params } = pageSql(query, state, 1, { boundaryOffset: scan - 1 });
          const position = this.c.statement(sql).get(params) as Position | undefined;
          if (position && (!from || after(position, from))) from = position;
        }
      }
      const merged = states.flatMap((state) => {
        const { sql, params } = pageSql(query, state, limit + 1, from ? { from } : {});
        return this.c.rows(sql, params);
      });
      if (states.length > 1)
        merged.sort((x, y) => y.updated_at - x.updated_at || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0));
      return { rows: merged, from };
    });
    return pageOf(rows.slice(0, limit + 1).map(recordFromRow), limit, from);
  }

  async counts(): Promise<LedgerCounts> {
    return this.c.tx.read(() => {
      const states = this.c.rows<StateCountRow>(COUNT_NOT_DONE, []);
      states.push({ state: 'done', n: Number(this.c.statement(COUNT_DONE).pluck().get()) });
      const [open] = this.c.rows<UnroutedCountRow>(
        'SELECT count(*) AS n, min(first_seen_at) AS oldest FROM unrouted WHERE resolved_at IS NULL',
        [],
      );
      return countsFromRows(states, open);
    });
  }

  async routeStats(sinceMs?: number): Promise<RouteStat[]> {
    type Done = { route_id: string; files: number; bytes: number; last_at: number | null };
    const parts = windowParts(sinceMs);
    const { done, others } = this.c.tx.read(() => ({
      done: this.rollup<Done>(ROUTE_ROLLUP, parts),
      others: this.c.rows<RouteStateRow>(ROUTE_NOT_DONE, [parts.since]),
    }));
    const doneRows = done.map((row): RouteStateRow => ({ ...row, state: 'done', n: row.files }));
    return routeStatsFromRows([...doneRows, ...others]);
  }

  async flows(sinceMs?: number): Promise<FlowStat[]> {
    return flowsFromRows(this.c.tx.read(() => this.rollup<FlowRow>(FLOW_ROLLUP, windowParts(sinceMs))));
  }

  /** A window's done deliveries: its partial hour, whole hours, whole days (one read transaction by the caller). */
  private rollup<T>(
    sql: { partial: string; hours: string; days: string },
    parts: ReturnType<typeof windowParts>,
  ): T[] {
    const [partial, hours, days] = rollupParams(parts);
    return [
      ...this.c.rows<T>(sql.partial, partial),
      ...this.c.rows<T>(sql.hours, hours),
      ...this.c.rows<T>(sql.days, days),
    ];
  }
}

function after(a: Position, b: Position): boolean {
  return a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && a.id > b.id);
}
