import pg from 'pg';
import type { Pool, QueryResultRow } from 'pg';
import type { Logger } from '../log.js';
import type { Location } from '../storage/types.js';
import { DEFAULT_RETRY, withPgRetry, type RetryOptions } from './postgres-errors.js';
import { planColumns } from './postgres-rows.js';
import { migratePostgres } from './postgres-schema.js';
import { parsePostgresUrl } from './postgres-url.js';
import * as sql from './postgres-sql.js';
import { claimDecision, encodeCursor, pageSize, sortFlows } from './rules.js';
import {
  recordFromRow as toRecord,
  unroutedFromRow as toUnrouted,
  type DeliveryRow,
  type UnroutedRow,
} from './sqlite-schema.js';
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

export interface PostgresLedgerOptions {
  /** Tables live in this schema (created if missing); overrides `?schema=` in the URL. */
  schema?: string;
  /** Connections per worker (default 10). */
  poolSize?: number;
  /** Receives connection errors that are swallowed (idle clients dropped by a server restart). */
  logger?: Logger;
  /** How long and how often a call is retried while the server is unreachable (default: 30 s budget). */
  retry?: Partial<RetryOptions>;
  /** Milliseconds before giving up on one connection attempt (default 5000). */
  connectTimeoutMs?: number;
  /** The clock (epoch ms) leases and timestamps use; default `Date.now`. */
  now?: () => number;
}

const CLAIM_ROUNDS = 5;

/**
 * The Ledger in PostgreSQL, for many workers sharing one database.
 *
 * - Every statement is atomic on its own: a claim is an insert-if-new plus a
 *   conditional update, so two workers racing on one delivery claim it once.
 * - Leases and timestamps use the application clock (`Date.now()` passed as
 *   a parameter), like the SQLite ledger: keep worker clocks in sync (NTP).
 * - While the server is unreachable or restarting, calls are retried with
 *   backoff (30 s budget) and then fail with TransientError `E_BACKEND`;
 *   connection errors of idle clients are logged and swallowed.
 * - Reads, claims and releases are retried whatever the failure (running them
 *   twice is harmless); a transition is retried only when it certainly did
 *   not reach the server, otherwise the TransientError reaches the router.
 */
export class PostgresLedger implements Ledger {
  readonly schema: string | undefined;
  /** Migration versions this instance applied when it opened (empty when already current). */
  readonly migrationsApplied: number[];
  private readonly pool: Pool;
  private readonly retry: RetryOptions;
  private readonly now: () => number;
  private closed = false;

  constructor(
    pool: Pool,
    init: { schema: string | undefined; migrationsApplied: number[]; retry: RetryOptions; now: () => number },
  ) {
    this.pool = pool;
    this.schema = init.schema;
    this.migrationsApplied = init.migrationsApplied;
    this.retry = init.retry;
    this.now = init.now;
  }

  async claim(plan: DeliveryPlan, owner: string, leaseMs: number): Promise<ClaimResult> {
    const [result] = await this.claimMany([plan], owner, leaseMs);
    return result as ClaimResult;
  }

  async claimMany(plans: DeliveryPlan[], owner: string, leaseMs: number): Promise<ClaimResult[]> {
    if (plans.length === 0) return [];
    const unique = new Map<string, DeliveryPlan>();
    for (const plan of plans) if (!unique.has(plan.id)) unique.set(plan.id, plan);
    const results = new Map<string, ClaimResult>();
    let pending = [...unique.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let round = 0; pending.length > 0; round++) {
      const now = this.now();
      const rows = await this.run<DeliveryRow & { claimed: boolean }>('claim', sql.CLAIM_MANY, [
        ...planColumns(pending),
        owner,
        now,
        now + leaseMs,
      ]);
      for (const row of rows) results.set(row.id, classify(toRecord(row), row.claimed, owner, now));
      pending = pending.filter((plan) => !results.has(plan.id));
      if (round >= CLAIM_ROUNDS) {
        for (const plan of pending) {
          const record = await this.get(plan.id);
          if (record) results.set(plan.id, classify(record, false, owner, now));
        }
        break;
      }
    }
    return plans.map((plan) => results.get(plan.id) as ClaimResult);
  }

  async transition(
    id: string,
    owner: string,
    state: DeliveryState,
    patch?: TransitionPatch,
  ): Promise<boolean> {
    const [moved] = await this.transitionMany([{ id, state, ...(patch ? { patch } : {}) }], owner);
    return moved === true;
  }

  async transitionMany(items: TransitionItem[], owner: string): Promise<boolean[]> {
    if (items.length === 0) return [];
    const rounds: { index: number; item: TransitionItem }[][] = [];
    const roundOf = new Map<string, number>();
    items.forEach((item, index) => {
      const round = (roundOf.get(item.id) ?? -1) + 1;
      roundOf.set(item.id, round);
      (rounds[round] ??= []).push({ index, item });
    });
    const moved: boolean[] = items.map(() => false);
    for (const round of rounds) {
      const ids = await this.run<{ id: string }>(
        'transition',
        sql.TRANSITION_MANY,
        transitionParams(round, owner, this.now()),
        false,
      );
      const done = new Set(ids.map((row) => row.id));
      for (const { index, item } of round) moved[index] = done.has(item.id);
    }
    return moved;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.run('release', sql.RELEASE, [id, owner]);
  }

  async reopen(
    id: string,
    owner: string,
    leaseMs: number,
    reason: ReopenReason,
  ): Promise<ClaimResult | undefined> {
    const now = this.now();
    const params = [id, now, reason.errorCode, reason.lastError, owner, now + leaseMs];
    // conditional on `done`: run twice, the second finds it planned and leased to this owner, and claims it
    const [row] = await this.run<DeliveryRow>('reopen', sql.REOPEN_DONE, params);
    if (row) return { status: 'claimed', record: toRecord(row) };
    const record = await this.get(id);
    return record ? this.claim(record, owner, leaseMs) : undefined;
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const [row] = await this.run<DeliveryRow>('get', sql.GET, [id]);
    return row ? toRecord(row) : undefined;
  }

  async forGeneration(source: Location, generation: string): Promise<DeliveryRecord[]> {
    const rows = await this.run<DeliveryRow>('forGeneration', sql.FOR_GENERATION, [
      source.project,
      source.bucket,
      source.key,
      generation,
    ]);
    return rows.map(toRecord);
  }

  async forDestination(destination: Location): Promise<DeliveryRecord[]> {
    const rows = await this.run<DeliveryRow>('forDestination', sql.FOR_DESTINATION, [
      destination.project,
      destination.bucket,
      destination.key,
    ]);
    return rows.map(toRecord);
  }

  async markSourceDeleted(source: Location, generation: string, at: number): Promise<void> {
    await this.run('markSourceDeleted', sql.MARK_SOURCE_DELETED, [
      source.project,
      source.bucket,
      source.key,
      generation,
      at,
    ]);
  }

  async recordUnrouted(source: Location, generation: string, size: number, at: number): Promise<void> {
    await this.run('recordUnrouted', sql.RECORD_UNROUTED, [
      source.project,
      source.bucket,
      source.key,
      generation,
      size,
      at,
    ]);
  }

  async resolveUnrouted(source: Location, at: number): Promise<void> {
    await this.run('resolveUnrouted', sql.RESOLVE_UNROUTED, [source.project, source.bucket, source.key, at]);
  }

  async listUnrouted(limit: number, offset = 0): Promise<UnroutedRecord[]> {
    const rows = await this.run<UnroutedRow>('listUnrouted', sql.LIST_UNROUTED, [
      Math.max(0, limit),
      Math.max(0, offset),
    ]);
    return rows.map(toUnrouted);
  }

  async query(query: DeliveryQuery): Promise<DeliveryPage> {
    const limit = pageSize(query.limit);
    if (query.states?.length === 0) return { items: [] };
    const scan =
      query.search && query.scanLimit !== undefined ? Math.max(1, Math.floor(query.scanLimit)) : undefined;
    let from: { updated_at: string; id: string } | undefined;
    if (scan !== undefined) {
      const { where, params, param } = sql.pageFilter({ ...query, search: undefined });
      from = (
        await this.run<{ updated_at: string; id: string }>(
          'query',
          `SELECT updated_at, id FROM deliveries ${where} ORDER BY updated_at DESC, id DESC LIMIT 1 OFFSET ${param(scan - 1)}`,
          params,
        )
      )[0];
    }
    const { where, params, param } = sql.pageFilter(
      query,
      from ? [Number(from.updated_at), from.id] : undefined,
    );
    const text = `SELECT * FROM deliveries ${where} ORDER BY updated_at DESC, id DESC LIMIT ${param(limit + 1)}`;
    const rows = await this.run<DeliveryRow>('query', text, params);
    const items = rows.slice(0, limit).map(toRecord);
    const last = items[items.length - 1];
    if (rows.length > limit && last) return { items, nextCursor: encodeCursor(last.updatedAt, last.id) };
    return from ? { items, nextCursor: encodeCursor(Number(from.updated_at), from.id) } : { items };
  }

  async counts(): Promise<LedgerCounts> {
    const [byStateRows, unroutedRows] = await Promise.all([
      this.run<{ state: string; n: string }>('counts', sql.COUNTS, []),
      this.run<{ n: string; oldest: string | null }>('counts', sql.UNROUTED_COUNTS, []),
    ]);
    const byState = zeroStateCounts();
    for (const row of byStateRows) byState[row.state as DeliveryState] = Number(row.n);
    const unrouted = unroutedRows[0];
    const counts: LedgerCounts = { byState, unrouted: Number(unrouted?.n ?? 0) };
    if (unrouted?.oldest != null) counts.oldestUnroutedAt = Number(unrouted.oldest);
    return counts;
  }

  async routeStats(sinceMs?: number): Promise<RouteStat[]> {
    type Row = {
      route_id: string;
      deliveries: string;
      done: string;
      failed: string;
      dead: string;
      bytes: string;
      last_at: string | null;
    };
    const rows = await this.run<Row>('routeStats', sql.ROUTE_STATS, [sinceMs ?? null]);
    return rows.map((row) => {
      const stat: RouteStat = {
        routeId: row.route_id,
        deliveries: Number(row.deliveries),
        done: Number(row.done),
        failed: Number(row.failed),
        dead: Number(row.dead),
        bytes: Number(row.bytes),
      };
      if (row.last_at !== null) stat.lastAt = Number(row.last_at);
      return stat;
    });
  }

  async flows(sinceMs?: number): Promise<FlowStat[]> {
    type Row = {
      source_project: string;
      source_bucket: string;
      dest_project: string;
      dest_bucket: string;
      files: string;
      bytes: string;
    };
    const rows = await this.run<Row>('flows', sql.FLOWS, [sinceMs ?? null]);
    return sortFlows(
      rows.map((row) => ({
        sourceProject: row.source_project,
        sourceBucket: row.source_bucket,
        destinationProject: row.dest_project,
        destinationBucket: row.dest_bucket,
        files: Number(row.files),
        bytes: Number(row.bytes),
      })),
    );
  }

  async retryDead(ids?: string[]): Promise<number> {
    return this.count('retryDead', sql.RETRY_DEAD, [this.now(), ids ?? null]);
  }

  async makeDue(ids: string[]): Promise<number> {
    return this.count('makeDue', sql.MAKE_DUE, [this.now(), [...new Set(ids)]]);
  }

  async activeOwners(): Promise<string[]> {
    const rows = await this.run<{ claimed_by: string }>('activeOwners', sql.ACTIVE_OWNERS, [this.now()]);
    return rows.map((row) => row.claimed_by).sort();
  }

  async releaseOwner(owner: string): Promise<number> {
    return this.count('releaseOwner', sql.RELEASE_OWNER, [owner]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async run<T extends QueryResultRow>(
    operation: string,
    text: string,
    params: unknown[],
    idempotent = true,
  ): Promise<T[]> {
    const result = await withPgRetry(operation, () => this.pool.query<T>(text, params), {
      ...this.retry,
      idempotent,
      isClosed: () => this.closed,
    });
    return result.rows;
  }

  private async count(operation: string, text: string, params: unknown[]): Promise<number> {
    const result = await withPgRetry(operation, () => this.pool.query(text, params), {
      ...this.retry,
      idempotent: true,
      isClosed: () => this.closed,
    });
    return result.rowCount ?? 0;
  }
}

/** A row the claim statement left alone answers as `claimDecision` says; one that looked claimable lost a race: busy. */
function classify(record: DeliveryRecord, claimed: boolean, owner: string, now: number): ClaimResult {
  if (claimed) return { status: 'claimed', record };
  const status = claimDecision(record, owner, now);
  return { status: status === 'claimed' ? 'busy' : status, record };
}

function transitionParams(round: { item: TransitionItem }[], owner: string, now: number): unknown[] {
  const column = <T>(pick: (patch: TransitionPatch) => T | undefined): (T | null)[] =>
    round.map(({ item }) => (item.patch ? (pick(item.patch) ?? null) : null));
  return [
    round.map(({ item }) => item.id),
    round.map(({ item }) => item.state),
    column((p) => p.errorCode),
    column((p) => p.lastError),
    column((p) => p.nextAttemptAt),
    column((p) => p.crc32c),
    column((p) => p.bytesThroughProcess),
    column((p) => p.destination?.project),
    column((p) => p.destination?.bucket),
    column((p) => p.destination?.key),
    owner,
    now,
    column((p) => p.sourceDeletedAt),
  ];
}

/**
 * Opens (and creates or migrates) the ledger at a `postgres://` or
 * `postgresql://` URL. `?schema=NAME` in the URL, or `options.schema`, keeps
 * the tables in that schema (created when missing) — e.g. one per test file.
 */
export async function openPostgresLedger(
  url: string,
  options: PostgresLedgerOptions = {},
): Promise<PostgresLedger> {
  const { connectionString, schema } = parsePostgresUrl(url, options.schema);
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
  const pool = new pg.Pool({
    connectionString,
    types,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', (error) =>
    options.logger?.warn(
      { err: error, backend: 'postgres' },
      'ledger connection lost; reconnecting on next use',
    ),
  );
  try {
    const migrationsApplied = await withPgRetry('migrate', () => migratePostgres(pool, schema), {
      ...retry,
      idempotent: true,
    });
    if (migrationsApplied.length > 0)
      options.logger?.info({ schema, versions: migrationsApplied }, 'ledger schema migrated');
    return new PostgresLedger(pool, { schema, migrationsApplied, retry, now: options.now ?? Date.now });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
