import type { PgConnection } from './connection.js';
import * as sql from './sql.js';
import {
  countsFromRows,
  flowsFromRows,
  routeStatsFromRows,
  type FlowRow,
  type RouteStateRow,
  type StateCountRow,
  type UnroutedCountRow,
} from '../report-rows.js';
import { recordFromRow, unroutedFromRow, type DeliveryRow, type UnroutedRow } from '../rows.js';
import { pageOf, pageSize, scanSize } from '../rules.js';
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
import { listOpenWaiting } from './waiting.js';

/** The PostgreSQL ledger's reports: grouped on the server, folded by report-rows.ts. */
export class PostgresReports implements LedgerReports {
  constructor(private readonly c: PgConnection) {}

  async get(id: string): Promise<DeliveryRecord | undefined> {
    return this.c.getOne(id);
  }

  async listWaiting(limit: number): Promise<WaitingGroup[]> {
    return listOpenWaiting(this.c, limit);
  }

  async listUnrouted(limit: number, offset = 0): Promise<UnroutedRecord[]> {
    const rows = await this.c.run<UnroutedRow>('listUnrouted', sql.LIST_UNROUTED, [
      Math.max(0, limit),
      Math.max(0, offset),
    ]);
    return rows.map(unroutedFromRow);
  }

  async query(query: DeliveryQuery): Promise<DeliveryPage> {
    const limit = pageSize(query.limit);
    if (query.states?.length === 0) return { items: [] };
    const scan = scanSize(query);
    let from: { updatedAt: number; id: string } | undefined;
    if (scan !== undefined) {
      const { where, params, param } = sql.pageFilter({ ...query, search: undefined });
      const [row] = await this.c.run<{ updated_at: string; id: string }>(
        'query',
        `SELECT updated_at, id FROM deliveries ${where} ORDER BY updated_at DESC, id DESC LIMIT 1 OFFSET ${param(scan - 1)}`,
        params,
      );
      if (row) from = { updatedAt: Number(row.updated_at), id: row.id };
    }
    const { where, params, param } = sql.pageFilter(query, from ? [from.updatedAt, from.id] : undefined);
    const text = `SELECT * FROM deliveries ${where} ORDER BY updated_at DESC, id DESC LIMIT ${param(limit + 1)}`;
    const rows = await this.c.run<DeliveryRow>('query', text, params);
    return pageOf(rows.map(recordFromRow), limit, from);
  }

  async counts(): Promise<LedgerCounts> {
    const [states, [open]] = await Promise.all([
      this.c.run<StateCountRow>('counts', sql.COUNTS, []),
      this.c.run<UnroutedCountRow>('counts', sql.UNROUTED_COUNTS, []),
    ]);
    return countsFromRows(states, open);
  }

  async routeStats(sinceMs?: number): Promise<RouteStat[]> {
    return routeStatsFromRows(
      await this.c.run<RouteStateRow>('routeStats', sql.ROUTE_STATS, [sinceMs ?? null]),
    );
  }

  async flows(sinceMs?: number): Promise<FlowStat[]> {
    return flowsFromRows(await this.c.run<FlowRow>('flows', sql.FLOWS, [sinceMs ?? null]));
  }
}
