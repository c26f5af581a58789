import type { SqliteMigration } from '../util/sqlite.js';
import { REOPEN_MIGRATION, ROLLUP_MIGRATION } from './sqlite-rollup.js';
import type { DeliveryRecord, DeliveryState, RouteAction, UnroutedRecord } from './types.js';

/** The SQLite ledger's schema. Append-only: add a version, never edit one. Times are epoch ms. */
export const LEDGER_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'deliveries and unrouted objects',
    sql: `
      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        source_project TEXT NOT NULL,
        source_bucket TEXT NOT NULL,
        source_key TEXT NOT NULL,
        generation TEXT NOT NULL,
        route_id TEXT NOT NULL,
        dest_project TEXT NOT NULL,
        dest_bucket TEXT NOT NULL,
        dest_key TEXT NOT NULL,
        action TEXT NOT NULL,
        size INTEGER NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        error_code TEXT,
        last_error TEXT,
        next_attempt_at INTEGER,
        crc32c TEXT,
        bytes_through_process INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        written_at INTEGER,
        verified_at INTEGER,
        done_at INTEGER,
        source_deleted_at INTEGER,
        claimed_by TEXT,
        claim_expires_at INTEGER
      );
      CREATE INDEX deliveries_source ON deliveries (source_project, source_bucket, source_key, generation);
      CREATE INDEX deliveries_dest ON deliveries (dest_project, dest_bucket, dest_key);
      CREATE INDEX deliveries_state ON deliveries (state, updated_at, id);
      CREATE INDEX deliveries_updated ON deliveries (updated_at, id);
      CREATE INDEX deliveries_route ON deliveries (route_id, updated_at, id);
      CREATE INDEX deliveries_route_state ON deliveries (route_id, state, size);
      CREATE TABLE unrouted (
        project TEXT NOT NULL,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        generation TEXT NOT NULL,
        size INTEGER NOT NULL,
        first_seen_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        resolved_at INTEGER,
        PRIMARY KEY (project, bucket, key)
      );
      CREATE INDEX unrouted_open ON unrouted (resolved_at, last_seen_at);
    `,
  },
  ROLLUP_MIGRATION,
  {
    version: 3,
    description: 'drop deliveries_route_state: route stats read the rollups and the state index',
    // every delivery write updated it, for nothing since version 2
    sql: 'DROP INDEX IF EXISTS deliveries_route_state;',
  },
  {
    version: 4,
    description: 'drop deliveries_done_insert: no write inserts a done delivery',
    // a claim inserts `planned` (INSERT_CLAIM); evaluating the trigger's WHEN
    // for every claim cost a fifth of it. deliveries_done_update counts done.
    sql: 'DROP TRIGGER IF EXISTS deliveries_done_insert;',
  },
  REOPEN_MIGRATION,
];

export interface DeliveryRow {
  id: string;
  source_project: string;
  source_bucket: string;
  source_key: string;
  generation: string;
  route_id: string;
  dest_project: string;
  dest_bucket: string;
  dest_key: string;
  action: string;
  size: number;
  state: string;
  attempts: number;
  error_code: string | null;
  last_error: string | null;
  next_attempt_at: number | null;
  crc32c: string | null;
  bytes_through_process: number | null;
  created_at: number;
  updated_at: number;
  written_at: number | null;
  verified_at: number | null;
  done_at: number | null;
  source_deleted_at: number | null;
  claimed_by: string | null;
  claim_expires_at: number | null;
}

export interface UnroutedRow {
  project: string;
  bucket: string;
  key: string;
  generation: string;
  size: number;
  first_seen_at: number;
  last_seen_at: number;
  resolved_at: number | null;
}

export function recordFromRow(row: DeliveryRow): DeliveryRecord {
  const record: DeliveryRecord = {
    id: row.id,
    source: { project: row.source_project, bucket: row.source_bucket, key: row.source_key },
    generation: row.generation,
    routeId: row.route_id,
    destination: { project: row.dest_project, bucket: row.dest_bucket, key: row.dest_key },
    action: row.action as RouteAction,
    size: row.size,
    state: row.state as DeliveryState,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.error_code !== null) record.errorCode = row.error_code;
  if (row.last_error !== null) record.lastError = row.last_error;
  if (row.next_attempt_at !== null) record.nextAttemptAt = row.next_attempt_at;
  if (row.crc32c !== null) record.crc32c = row.crc32c;
  if (row.bytes_through_process !== null) record.bytesThroughProcess = row.bytes_through_process;
  if (row.written_at !== null) record.writtenAt = row.written_at;
  if (row.verified_at !== null) record.verifiedAt = row.verified_at;
  if (row.done_at !== null) record.doneAt = row.done_at;
  if (row.source_deleted_at !== null) record.sourceDeletedAt = row.source_deleted_at;
  if (row.claimed_by !== null) record.claimedBy = row.claimed_by;
  if (row.claim_expires_at !== null) record.claimExpiresAt = row.claim_expires_at;
  return record;
}

export function unroutedFromRow(row: UnroutedRow): UnroutedRecord {
  const record: UnroutedRecord = {
    source: { project: row.project, bucket: row.bucket, key: row.key },
    generation: row.generation,
    size: row.size,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
  };
  if (row.resolved_at !== null) record.resolvedAt = row.resolved_at;
  return record;
}

/** Every `deliveries` column, in table order. */
export const DELIVERY_COLUMNS: readonly (keyof DeliveryRow)[] = [
  'id',
  'source_project',
  'source_bucket',
  'source_key',
  'generation',
  'route_id',
  'dest_project',
  'dest_bucket',
  'dest_key',
  'action',
  'size',
  'state',
  'attempts',
  'error_code',
  'last_error',
  'next_attempt_at',
  'crc32c',
  'bytes_through_process',
  'created_at',
  'updated_at',
  'written_at',
  'verified_at',
  'done_at',
  'source_deleted_at',
  'claimed_by',
  'claim_expires_at',
];
