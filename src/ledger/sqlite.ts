import type { Statement } from 'better-sqlite3';
import type { Location } from '../storage/types.js';
import {
  migrateSqlite,
  openSqliteFile,
  sqliteTransactions,
  type SqliteDatabase,
  type SqliteTransactions,
} from '../util/sqlite.js';
import { claimDecision, encodeCursor, newRecord, pageSize, sortFlows } from './rules.js';
import {
  LEDGER_MIGRATIONS,
  recordFromRow,
  unroutedFromRow,
  type DeliveryRow,
  type UnroutedRow,
} from './sqlite-schema.js';
import { COUNT_DONE, FLOW_ROLLUP, rollupParams, ROUTE_ROLLUP, windowParts } from './sqlite-rollup.js';
import {
  COUNT_NOT_DONE,
  pageSql,
  REOPEN_DONE,
  ROUTE_NOT_DONE,
  transitionSql,
  type Position,
} from './sqlite-sql.js';
import type {
  ClaimResult,
  DeliveryPage,
  DeliveryPlan,
  DeliveryQuery,
  DeliveryRecord,
  DeliveryState,
  FlowStat,
  Ledger,
  LedgerCounts,
  ReopenReason,
  RouteStat,
  TransitionItem,
  TransitionPatch,
  UnroutedRecord,
} from './types.js';
import { zeroStateCounts } from './types.js';

export interface SqliteLedgerOptions {
  /** Clock for leases and timestamps (tests). */
  now?: () => number;
}

/** A fresh claim: the columns a new record sets (the others start NULL), bound by position. */
const INSERT_CLAIM = `INSERT INTO deliveries (id, source_project, source_bucket, source_key, generation, route_id,
    dest_project, dest_bucket, dest_key, action, size, state, attempts, created_at, updated_at, claimed_by, claim_expires_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'planned', 0, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`;
const SOURCE = 'source_project = ? AND source_bucket = ? AND source_key = ?';
const UNROUTED_KEY = 'project = ? AND bucket = ? AND key = ?';

/**
 * Opens (creating it and its folder if needed) the embedded ledger: one
 * SQLite file in WAL mode that several processes may share. Claims and
 * transitions run in `BEGIN IMMEDIATE` transactions, so two processes can
 * never both hold one delivery.
 */
export async function openSqliteLedger(
  path: string,
  options: SqliteLedgerOptions = {},
): Promise<SqliteLedger> {
  const db = openSqliteFile(path);
  try {
    db.pragma('cache_size = -16000');
    migrateSqlite(db, 'ledger', LEDGER_MIGRATIONS);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteLedger(db, options);
}

type Params = unknown[] | object;

export class SqliteLedger implements Ledger {
  private readonly now: () => number;
  private readonly cache = new Map<string, Statement>();
  private readonly tx: SqliteTransactions;

  constructor(
    private readonly db: SqliteDatabase,
    options: SqliteLedgerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.tx = sqliteTransactions(db);
  }

  async claim(plan: DeliveryPlan, owner: string, leaseMs: number): Promise<ClaimResult> {
    return this.tx.write(() => this.claimOne(plan, owner, leaseMs, this.now()));
  }

  async claimMany(plans: DeliveryPlan[], owner: string, leaseMs: number): Promise<ClaimResult[]> {
    if (plans.length === 0) return [];
    return this.tx.write(() => {
      const now = this.now();
      return plans.map((plan) => this.claimOne(plan, owner, leaseMs, now));
    });
  }

  async transition(
    id: string,
    owner: string,
    state: DeliveryState,
    patch?: TransitionPatch,
  ): Promise<boolean> {
    return this.tx.write(() => this.transitionOne(id, owner, state, patch, this.now()));
  }

  async transitionMany(items: TransitionItem[], owner: string): Promise<boolean[]> {
    if (items.length === 0) return [];
    return this.tx.write(() => {
      const now = this.now();
      return items.map((item) => this.transitionOne(item.id, owner, item.state, item.patch, now));
    });
  }

  async release(id: string, owner: string): Promise<void> {
    this.run(
      'UPDATE deliveries SET claimed_by = NULL, claim_expires_at = NULL WHERE id = ? AND claimed_by = ?',
      [id, owner],
    );
  }

  async reopen(
    id: string,
    owner: string,
    leaseMs: number,
    reason: ReopenReason,
  ): Promise<ClaimResult | undefined> {
    return this.tx.write(() => {
      const now = this.now();
      const params = [now, reason.errorCode, reason.lastError, owner, now + leaseMs, id];
      const reopened = this.run(REOPEN_DONE, params).changes === 1;
      const record = this.getOne(id);
      if (!record) return undefined;
      return reopened ? { status: 'claimed' as const, record } : this.claimOne(record, owner, leaseMs, now);
    });
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    return this.getOne(id);
  }

  async forGeneration(source: Location, generation: string): Promise<DeliveryRecord[]> {
    return this.rows(`SELECT * FROM deliveries WHERE ${SOURCE} AND generation = ? ORDER BY route_id, id`, [
      source.project,
      source.bucket,
      source.key,
      generation,
    ]).map(recordFromRow);
  }

  async forDestination(destination: Location): Promise<DeliveryRecord[]> {
    return this.rows(
      'SELECT * FROM deliveries WHERE dest_project = ? AND dest_bucket = ? AND dest_key = ? ORDER BY updated_at DESC, id DESC',
      [destination.project, destination.bucket, destination.key],
    ).map(recordFromRow);
  }

  async markSourceDeleted(source: Location, generation: string, at: number): Promise<void> {
    this.run(`UPDATE deliveries SET source_deleted_at = ? WHERE ${SOURCE} AND generation = ?`, [
      at,
      source.project,
      source.bucket,
      source.key,
      generation,
    ]);
  }

  async recordUnrouted(source: Location, generation: string, size: number, at: number): Promise<void> {
    this.run(
      `INSERT INTO unrouted (project, bucket, key, generation, size, first_seen_at, last_seen_at, resolved_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
       ON CONFLICT (project, bucket, key) DO UPDATE SET
         generation = excluded.generation,
         size = excluded.size,
         first_seen_at = CASE WHEN resolved_at IS NULL THEN min(first_seen_at, excluded.first_seen_at) ELSE excluded.first_seen_at END,
         last_seen_at = CASE WHEN resolved_at IS NULL THEN max(last_seen_at, excluded.last_seen_at) ELSE excluded.last_seen_at END,
         resolved_at = NULL`,
      [source.project, source.bucket, source.key, generation, size, at, at],
    );
  }

  async resolveUnrouted(source: Location, at: number): Promise<void> {
    this.run(`UPDATE unrouted SET resolved_at = ? WHERE ${UNROUTED_KEY} AND resolved_at IS NULL`, [
      at,
      source.project,
      source.bucket,
      source.key,
    ]);
  }

  async listUnrouted(limit: number, offset = 0): Promise<UnroutedRecord[]> {
    return this.rows<UnroutedRow>(
      `SELECT * FROM unrouted WHERE resolved_at IS NULL
       ORDER BY last_seen_at DESC, project, bucket, key LIMIT ? OFFSET ?`,
      [Math.max(0, limit), Math.max(0, offset)],
    ).map(unroutedFromRow);
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
    const scan =
      query.search && query.scanLimit !== undefined ? Math.max(1, Math.floor(query.scanLimit)) : undefined;
    const { rows, from } = this.tx.read(() => {
      let from: Position | undefined;
      if (scan !== undefined) {
        for (const state of states) {
          const { sql, params } = pageSql(query, state, 1, { boundaryOffset: scan - 1 });
          const position = this.statement(sql).get(params) as Position | undefined;
          if (position && (!from || after(position, from))) from = position;
        }
      }
      const merged = states.flatMap((state) => {
        const { sql, params } = pageSql(query, state, limit + 1, from ? { from } : {});
        return this.rows(sql, params);
      });
      if (states.length > 1)
        merged.sort((x, y) => y.updated_at - x.updated_at || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0));
      return { rows: merged, from };
    });
    const items = rows.slice(0, limit).map(recordFromRow);
    const last = items[items.length - 1];
    if (rows.length > limit && last) return { items, nextCursor: encodeCursor(last.updatedAt, last.id) };
    return from ? { items, nextCursor: encodeCursor(from.updatedAt, from.id) } : { items };
  }

  /** Done deliveries from the `delivery_hours` rollup; the other states (few) on the state index. */
  async counts(): Promise<LedgerCounts> {
    return this.tx.read(() => {
      const byState = zeroStateCounts();
      for (const row of this.rows<{ state: DeliveryState; n: number }>(COUNT_NOT_DONE, []))
        byState[row.state] = row.n;
      byState.done = Number(this.statement(COUNT_DONE).pluck().get());
      const open = this.rows<{ n: number; oldest: number | null }>(
        'SELECT count(*) AS n, min(first_seen_at) AS oldest FROM unrouted WHERE resolved_at IS NULL',
        [],
      )[0];
      const counts: LedgerCounts = { byState, unrouted: open?.n ?? 0 };
      if (open?.oldest !== null && open?.oldest !== undefined) counts.oldestUnroutedAt = open.oldest;
      return counts;
    });
  }

  /**
   * Done deliveries from the rollups (see sqlite-rollup.ts); every other
   * state from the state index.
   */
  async routeStats(sinceMs?: number): Promise<RouteStat[]> {
    type Done = { route_id: string; files: number; bytes: number; last_at: number | null };
    type Other = { route_id: string; state: DeliveryState; n: number; last_at: number };
    const parts = windowParts(sinceMs);
    const { done, others } = this.tx.read(() => ({
      done: this.rollup<Done>(ROUTE_ROLLUP, parts),
      others: this.rows<Other>(ROUTE_NOT_DONE, [parts.since]),
    }));
    const stats = new Map<string, RouteStat>();
    const statOf = (routeId: string): RouteStat => {
      let stat = stats.get(routeId);
      if (!stat) {
        stat = { routeId, deliveries: 0, done: 0, failed: 0, dead: 0, bytes: 0 };
        stats.set(routeId, stat);
      }
      return stat;
    };
    const seen = (stat: RouteStat, at: number | null): void => {
      if (at !== null) stat.lastAt = Math.max(stat.lastAt ?? at, at);
    };
    for (const row of done) {
      if (!row.files) continue;
      const stat = statOf(row.route_id);
      stat.deliveries += row.files;
      stat.done += row.files;
      stat.bytes += row.bytes;
      seen(stat, row.last_at);
    }
    for (const row of others) {
      const stat = statOf(row.route_id);
      stat.deliveries += row.n;
      if (row.state === 'failed') stat.failed += row.n;
      if (row.state === 'dead') stat.dead += row.n;
      seen(stat, row.last_at);
    }
    return [...stats.values()].sort((a, b) => (a.routeId < b.routeId ? -1 : a.routeId > b.routeId ? 1 : 0));
  }

  async flows(sinceMs?: number): Promise<FlowStat[]> {
    type Row = {
      source_project: string;
      source_bucket: string;
      dest_project: string;
      dest_bucket: string;
      files: number;
      bytes: number;
    };
    const rows = this.tx.read(() => this.rollup<Row>(FLOW_ROLLUP, windowParts(sinceMs)));
    const flows = new Map<string, FlowStat>();
    for (const row of rows) {
      if (!row.files) continue;
      const key = JSON.stringify([row.source_project, row.source_bucket, row.dest_project, row.dest_bucket]);
      const flow = flows.get(key) ?? {
        sourceProject: row.source_project,
        sourceBucket: row.source_bucket,
        destinationProject: row.dest_project,
        destinationBucket: row.dest_bucket,
        files: 0,
        bytes: 0,
      };
      flow.files += row.files;
      flow.bytes += row.bytes;
      flows.set(key, flow);
    }
    return sortFlows([...flows.values()]);
  }

  async retryDead(ids?: string[]): Promise<number> {
    const revive =
      "UPDATE deliveries SET state = 'failed', attempts = 0, next_attempt_at = ?, updated_at = ?, " +
      "claimed_by = NULL, claim_expires_at = NULL WHERE state = 'dead'";
    return this.tx.write(() => {
      const now = this.now();
      if (ids === undefined) return this.run(revive, [now, now]).changes;
      let changed = 0;
      for (const id of new Set(ids)) changed += this.run(`${revive} AND id = ?`, [now, now, id]).changes;
      return changed;
    });
  }

  async makeDue(ids: string[]): Promise<number> {
    const due =
      "UPDATE deliveries SET state = 'failed', attempts = 0, next_attempt_at = ?, updated_at = ?, " +
      'claimed_by = NULL, claim_expires_at = NULL WHERE id = ? AND ' +
      "(state = 'dead' OR (state = 'failed' AND (claimed_by IS NULL OR claim_expires_at <= ?)))";
    return this.tx.write(() => {
      const now = this.now();
      let changed = 0;
      for (const id of new Set(ids)) changed += this.run(due, [now, now, id, now]).changes;
      return changed;
    });
  }

  async activeOwners(): Promise<string[]> {
    return this.rows<{ claimed_by: string }>(
      'SELECT DISTINCT claimed_by FROM deliveries WHERE claimed_by IS NOT NULL AND claim_expires_at > ? ORDER BY claimed_by',
      [this.now()],
    ).map((r) => r.claimed_by);
  }

  async releaseOwner(owner: string): Promise<number> {
    return this.run(
      `UPDATE deliveries SET claimed_by = NULL, claim_expires_at = NULL
       WHERE claimed_by IS NOT NULL AND (claimed_by = ? OR (claimed_by >= ? AND claimed_by < ?))`,
      [owner, `${owner}#`, `${owner}$`],
    ).changes;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private claimOne(plan: DeliveryPlan, owner: string, leaseMs: number, now: number): ClaimResult {
    const { source, destination } = plan;
    const expires = now + leaseMs;
    const inserted = this.run(INSERT_CLAIM, [
      plan.id,
      source.project,
      source.bucket,
      source.key,
      plan.generation,
      plan.routeId,
      destination.project,
      destination.bucket,
      destination.key,
      plan.action,
      plan.size,
      now,
      now,
      owner,
      expires,
    ]);
    if (inserted.changes === 1) {
      return {
        status: 'claimed',
        record: { ...newRecord(plan, now), claimedBy: owner, claimExpiresAt: expires },
      };
    }
    const record = this.getOne(plan.id) as DeliveryRecord;
    const status = claimDecision(record, owner, now);
    if (status !== 'claimed') return { status, record };
    record.claimedBy = owner;
    record.claimExpiresAt = now + leaseMs;
    this.run('UPDATE deliveries SET claimed_by = ?, claim_expires_at = ? WHERE id = ?', [
      owner,
      record.claimExpiresAt,
      plan.id,
    ]);
    return { status, record };
  }

  private transitionOne(
    id: string,
    owner: string,
    state: DeliveryState,
    patch: TransitionPatch | undefined,
    now: number,
  ): boolean {
    const { sql, params } = transitionSql(id, owner, state, patch, now);
    return this.run(sql, params).changes === 1;
  }

  /** A window's done deliveries: its partial hour, whole hours, whole days (one read transaction by the caller). */
  private rollup<T>(
    sql: { partial: string; hours: string; days: string },
    parts: ReturnType<typeof windowParts>,
  ): T[] {
    const [partial, hours, days] = rollupParams(parts);
    return [
      ...this.rows<T>(sql.partial, partial),
      ...this.rows<T>(sql.hours, hours),
      ...this.rows<T>(sql.days, days),
    ];
  }

  private getOne(id: string): DeliveryRecord | undefined {
    const row = this.statement('SELECT * FROM deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    return row ? recordFromRow(row) : undefined;
  }

  private rows<T = DeliveryRow>(sql: string, params: Params): T[] {
    return this.statement(sql).all(params) as T[];
  }

  private run(sql: string, params: Params): { changes: number } {
    return this.statement(sql).run(params);
  }

  /** Prepared statements, compiled once per distinct SQL text. */
  private statement(sql: string): Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }
}

function after(a: Position, b: Position): boolean {
  return a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && a.id > b.id);
}
