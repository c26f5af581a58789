import type { Statement } from 'better-sqlite3';
import type { Location } from '../storage/types.js';
import {
  migrateSqlite,
  openSqliteFile,
  sqliteTransactions,
  type SqliteDatabase,
  type SqliteTransactions,
} from '../util/sqlite.js';
import { claimDecision, encodeCursor, newRecord, pageSize } from './rules.js';
import {
  DELIVERY_COLUMNS,
  LEDGER_MIGRATIONS,
  recordFromRow,
  rowFromRecord,
  unroutedFromRow,
  type DeliveryRow,
  type UnroutedRow,
} from './sqlite-schema.js';
import { pageSql, transitionSql } from './sqlite-sql.js';
import type {
  ClaimResult,
  DeliveryPage,
  DeliveryPlan,
  DeliveryQuery,
  DeliveryRecord,
  DeliveryState,
  Ledger,
  LedgerCounts,
  RouteStat,
  TransitionItem,
  TransitionPatch,
  UnroutedRecord,
} from './types.js';

export interface SqliteLedgerOptions {
  /** Clock for leases and timestamps (tests). */
  now?: () => number;
}

const ALL_STATES: readonly DeliveryState[] = [
  'planned',
  'written',
  'verified',
  'done',
  'failed',
  'dead',
  'gone',
  'superseded',
];
const INSERT =
  `INSERT INTO deliveries (${DELIVERY_COLUMNS.join(', ')}) VALUES (${DELIVERY_COLUMNS.map((c) => `@${c}`).join(', ')}) ` +
  'ON CONFLICT (id) DO NOTHING';
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
   * many rows the states hold.
   */
  async query(query: DeliveryQuery): Promise<DeliveryPage> {
    const limit = pageSize(query.limit);
    const select = (state?: DeliveryState): DeliveryRow[] => {
      const { sql, params } = pageSql(query, state, limit + 1);
      return this.rows(sql, params);
    };
    const states = query.states ? [...new Set(query.states)] : undefined;
    const rows = this.tx.read(() => {
      if (!states) return select();
      const merged = states.flatMap((state) => select(state));
      if (states.length > 1)
        merged.sort((x, y) => y.updated_at - x.updated_at || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0));
      return merged;
    });
    const items = rows.slice(0, limit).map(recordFromRow);
    const last = items[items.length - 1];
    return rows.length > limit && last
      ? { items, nextCursor: encodeCursor(last.updatedAt, last.id) }
      : { items };
  }

  async counts(): Promise<LedgerCounts> {
    return this.tx.read(() => {
      const byState = Object.fromEntries(ALL_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;
      for (const row of this.rows<{ state: DeliveryState; n: number }>(
        'SELECT state, count(*) AS n FROM deliveries INDEXED BY deliveries_state GROUP BY state',
        [],
      )) {
        byState[row.state] = row.n;
      }
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
   * All time: one pass over the covering `(route_id, state, size)` index;
   * with `sinceMs`: the deliveries updated since then, a range of the
   * `updated_at` index.
   */
  async routeStats(sinceMs?: number): Promise<RouteStat[]> {
    type Row = {
      route_id: string;
      deliveries: number;
      done: number;
      failed: number;
      dead: number;
      bytes: number;
      last_at: number | null;
    };
    const totals = (): Row[] => {
      const rows = this.rows<Omit<Row, 'last_at'>>(
        `SELECT route_id, count(*) AS deliveries,
           sum(state = 'done') AS done, sum(state = 'failed') AS failed, sum(state = 'dead') AS dead,
           total(CASE WHEN state = 'done' THEN size END) AS bytes
         FROM deliveries INDEXED BY deliveries_route_state GROUP BY route_id ORDER BY route_id`,
        [],
      );
      const lastAt = this.statement(
        'SELECT max(updated_at) FROM deliveries INDEXED BY deliveries_route WHERE route_id = ?',
      ).pluck();
      return rows.map((row) => ({ ...row, last_at: lastAt.get(row.route_id) as number | null }));
    };
    const since = (from: number): Row[] =>
      this.rows<Row>(
        `SELECT route_id, count(*) AS deliveries,
           sum(state = 'done') AS done, sum(state = 'failed') AS failed, sum(state = 'dead') AS dead,
           total(CASE WHEN state = 'done' THEN size END) AS bytes, max(updated_at) AS last_at
         FROM deliveries INDEXED BY deliveries_updated WHERE updated_at >= ?
         GROUP BY route_id ORDER BY route_id`,
        [from],
      );
    const rows = this.tx.read(() => (sinceMs === undefined ? totals() : since(sinceMs)));
    return rows.map((row) => {
      const stat: RouteStat = {
        routeId: row.route_id,
        deliveries: row.deliveries,
        done: row.done,
        failed: row.failed,
        dead: row.dead,
        bytes: row.bytes,
      };
      if (row.last_at !== null) stat.lastAt = row.last_at;
      return stat;
    });
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
    const fresh: DeliveryRecord = {
      ...newRecord(plan, now),
      claimedBy: owner,
      claimExpiresAt: now + leaseMs,
    };
    if (this.run(INSERT, rowFromRecord(fresh)).changes === 1) return { status: 'claimed', record: fresh };
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
