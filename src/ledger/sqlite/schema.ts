import type { SqliteMigration } from '../../util/sqlite.js';
import { REOPEN_MIGRATION, ROLLUP_MIGRATION } from './rollup.js';

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
  {
    version: 6,
    description: 'unrouted.reason: why a file cannot be routed (E_KEY_ENCODING), when not an unmatched name',
    sql: 'ALTER TABLE unrouted ADD COLUMN reason TEXT;',
  },
  {
    version: 7,
    description: 'waiting_groups: groups (complete_when) waiting for their marker',
    sql: `
      CREATE TABLE waiting_groups (
        project TEXT NOT NULL,
        bucket TEXT NOT NULL,
        folder TEXT NOT NULL,
        route_id TEXT NOT NULL,
        first_seen_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        members INTEGER NOT NULL,
        dead_at INTEGER,
        reason TEXT,
        PRIMARY KEY (project, bucket, folder, route_id)
      );
      CREATE INDEX waiting_groups_open ON waiting_groups (first_seen_at) WHERE dead_at IS NULL;
    `,
  },
];
