import type { Pool, PoolClient } from 'pg';
import { ConfigInvalidError } from '../../model/errors.js';

/**
 * The PostgreSQL ledger's schema, created and migrated by switchyard itself.
 *
 * Migrations are append-only: never edit a released one, add the next
 * version. `migratePostgres` runs the missing ones inside one transaction that
 * holds an advisory lock, so workers starting together migrate exactly once
 * and the others wait, then find nothing left to do.
 *
 * Tables and columns mirror the SQLite ledger's (src/ledger/sqlite/schema.ts),
 * so rows map to records the same way (rows.ts). Times are epoch milliseconds
 * (`bigint`) from the application clock.
 */
export interface Migration {
  version: number;
  description: string;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'deliveries and unrouted objects',
    statements: [
      `CREATE TABLE deliveries (
        id text PRIMARY KEY,
        source_project text NOT NULL,
        source_bucket text NOT NULL,
        source_key text NOT NULL,
        generation text NOT NULL,
        route_id text NOT NULL,
        dest_project text NOT NULL,
        dest_bucket text NOT NULL,
        dest_key text NOT NULL,
        action text NOT NULL,
        size bigint NOT NULL,
        state text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        error_code text,
        last_error text,
        next_attempt_at bigint,
        crc32c text,
        bytes_through_process bigint,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        written_at bigint,
        verified_at bigint,
        done_at bigint,
        source_deleted_at bigint,
        claimed_by text,
        claim_expires_at bigint
      )`,
      `CREATE INDEX deliveries_source ON deliveries (source_project, source_bucket, source_key, generation)`,
      `CREATE INDEX deliveries_dest ON deliveries (dest_project, dest_bucket, dest_key)`,
      `CREATE INDEX deliveries_state ON deliveries (state, updated_at, id)`,
      `CREATE INDEX deliveries_updated ON deliveries (updated_at, id)`,
      `CREATE INDEX deliveries_route ON deliveries (route_id, updated_at, id)`,
      `CREATE INDEX deliveries_claimed ON deliveries (claimed_by) WHERE claimed_by IS NOT NULL`,
      `CREATE TABLE unrouted (
        project text NOT NULL,
        bucket text NOT NULL,
        key text NOT NULL,
        generation text NOT NULL,
        size bigint NOT NULL,
        first_seen_at bigint NOT NULL,
        last_seen_at bigint NOT NULL,
        resolved_at bigint,
        PRIMARY KEY (project, bucket, key)
      )`,
      `CREATE INDEX unrouted_open ON unrouted (last_seen_at) WHERE resolved_at IS NULL`,
    ],
  },
  {
    version: 2,
    description: 'unrouted.reason: why a file cannot be routed (E_KEY_ENCODING), when not an unmatched name',
    statements: ['ALTER TABLE unrouted ADD COLUMN reason text'],
  },
  {
    version: 3,
    description: 'waiting_groups: groups (complete_when) waiting for their marker',
    statements: [
      `CREATE TABLE waiting_groups (
        project text NOT NULL,
        bucket text NOT NULL,
        folder text NOT NULL,
        route_id text NOT NULL,
        first_seen_at bigint NOT NULL,
        last_seen_at bigint NOT NULL,
        members integer NOT NULL,
        dead_at bigint,
        reason text,
        PRIMARY KEY (project, bucket, folder, route_id)
      )`,
      `CREATE INDEX waiting_groups_open ON waiting_groups (first_seen_at) WHERE dead_at IS NULL`,
    ],
  },
];

const COMPONENT = 'ledger';

/** First key of the two-key advisory lock guarding migrations (ASCII `swyd`). */
export const MIGRATION_LOCK = 0x73777964;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema name safe to splice into DDL and `search_path`: lower-case letters, digits, `_` (no quoting or case folding needed). */
export function isValidSchemaName(name: string): boolean {
  return SCHEMA_NAME.test(name);
}

/**
 * Brings the schema to the latest version; returns the versions this call
 * applied (empty when another worker, or an earlier run, already did).
 * Refuses a database migrated by a newer switchyard.
 */
export async function migratePostgres(pool: Pool, schema: string | undefined): Promise<number[]> {
  const client = await pool.connect();
  const ignore = (): void => undefined;
  client.on('error', ignore);
  let failure: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [MIGRATION_LOCK, schema ?? '']);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS switchyard_schema_version (
        component text NOT NULL,
        version integer NOT NULL,
        description text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (component, version)
      )`,
    );
    const current = await currentVersion(client);
    const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
    if (current > latest) {
      throw new ConfigInvalidError(
        'postgres ledger',
        `schema version ${current} is newer than this switchyard knows (${latest})`,
        {
          schema,
          current,
          latest,
        },
      );
    }
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      for (const statement of migration.statements) await client.query(statement);
      await client.query(
        'INSERT INTO switchyard_schema_version (component, version, description) VALUES ($1, $2, $3)',
        [COMPONENT, migration.version, migration.description],
      );
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(ignore);
    throw error;
  } finally {
    client.removeListener('error', ignore);
    client.release(failure);
  }
}

async function currentVersion(client: PoolClient): Promise<number> {
  const result = await client.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM switchyard_schema_version WHERE component = $1',
    [COMPONENT],
  );
  return result.rows[0]?.version ?? 0;
}
