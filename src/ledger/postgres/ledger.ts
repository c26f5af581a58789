import pg from 'pg';
import type { Logger } from '../../util/log.js';
import { PgConnection } from './connection.js';
import { DEFAULT_RETRY, withPgRetry, type RetryOptions } from './errors.js';
import { PostgresReports } from './reports.js';
import { migratePostgres } from './schema.js';
import { parsePostgresUrl } from './url.js';
import { PostgresLedger } from './writes.js';
import type { LedgerStore } from '../types.js';

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

/**
 * The ledger in PostgreSQL, for many workers sharing one database: its write
 * path (postgres-writes.ts) and reports (postgres-reports.ts) over one pool.
 * While the server is unreachable or restarting, calls are retried with
 * backoff (30 s budget) and then fail with TransientError `E_BACKEND`;
 * connection errors of idle clients are logged and swallowed.
 */
export class PostgresLedgerStore implements LedgerStore {
  readonly ledger: PostgresLedger;
  readonly reports: PostgresReports;

  constructor(
    private readonly connection: PgConnection,
    readonly schema: string | undefined,
    /** Migration versions this instance applied when it opened (empty when already current). */
    readonly migrationsApplied: number[],
  ) {
    this.ledger = new PostgresLedger(connection);
    this.reports = new PostgresReports(connection);
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/**
 * Opens (and creates or migrates) the ledger at a `postgres://` or
 * `postgresql://` URL. `?schema=NAME` in the URL, or `options.schema`, keeps
 * the tables in that schema (created when missing) — e.g. one per test file.
 */
export async function openPostgresLedger(
  url: string,
  options: PostgresLedgerOptions = {},
): Promise<PostgresLedgerStore> {
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
    const connection = new PgConnection(pool, retry, options.now ?? Date.now);
    return new PostgresLedgerStore(connection, schema, migrationsApplied);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
