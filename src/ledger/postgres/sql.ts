import { asciiLower, decodeCursor } from '../rules.js';
import { PLAN_COLUMNS } from '../rows.js';
import type { DeliveryQuery } from '../types.js';

/**
 * The statements of the PostgreSQL ledger. Every one is a single statement
 * (autocommit), so a failure reported by the server means it did not apply.
 *
 * Parameters common to claims: $12 owner, $13 now (ms), $14 lease end (ms).
 */

const TERMINAL = `('done', 'dead', 'gone', 'superseded')`;

/** The PostgreSQL type of each of `PLAN_COLUMNS`. */
const PLAN_TYPES: Record<(typeof PLAN_COLUMNS)[number], string> = {
  id: 'text',
  source_project: 'text',
  source_bucket: 'text',
  source_key: 'text',
  generation: 'text',
  route_id: 'text',
  dest_project: 'text',
  dest_bucket: 'text',
  dest_key: 'text',
  action: 'text',
  size: 'bigint',
};

const INPUT_ARRAYS = PLAN_COLUMNS.map((column, i) => `$${i + 1}::${PLAN_TYPES[column]}[]`).join(', ');

/**
 * Inserts the new plans already leased to the owner (resolving their
 * sources' unrouted entries: a file with a delivery is routed), leases the
 * existing claimable ones, and returns every other row as it stands
 * (`claimed` false).
 * A row inserted by a concurrent transaction after this statement's snapshot
 * is in no branch: the caller runs the statement again for those ids.
 */
export const CLAIM_MANY = `
WITH input AS (
  SELECT * FROM unnest(${INPUT_ARRAYS}) AS t(${PLAN_COLUMNS.join(', ')})
), ins AS (
  INSERT INTO deliveries (${PLAN_COLUMNS.join(', ')}, state, attempts, created_at, updated_at, claimed_by, claim_expires_at)
  SELECT ${PLAN_COLUMNS.join(', ')}, 'planned', 0, $13, $13, $12, $14 FROM input
  ON CONFLICT (id) DO NOTHING
  RETURNING *
), routed AS (
  UPDATE unrouted u SET resolved_at = $13
  FROM ins
  WHERE u.project = ins.source_project AND u.bucket = ins.source_bucket AND u.key = ins.source_key
    AND u.resolved_at IS NULL
), upd AS (
  UPDATE deliveries d SET claimed_by = $12, claim_expires_at = $14
  FROM input i
  WHERE d.id = i.id
    AND d.state NOT IN ${TERMINAL}
    AND (d.claimed_by IS NULL OR d.claimed_by = $12 OR d.claim_expires_at IS NULL OR d.claim_expires_at <= $13)
    AND (d.state <> 'failed' OR d.next_attempt_at IS NULL OR d.next_attempt_at <= $13)
  RETURNING d.*
)
SELECT true AS claimed, ins.* FROM ins
UNION ALL SELECT true AS claimed, upd.* FROM upd
UNION ALL SELECT false AS claimed, d.* FROM deliveries d JOIN input i ON d.id = i.id
  WHERE d.id NOT IN (SELECT id FROM ins) AND d.id NOT IN (SELECT id FROM upd)`;

/**
 * Transitions a batch of distinct ids: $1 ids, $2 states, $3..$10 and $13
 * patch columns (NULL = keep), $11 owner, $12 now. Only rows leased to the owner
 * and not terminal move; the ids that moved are returned.
 */
export const TRANSITION_MANY = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[],
    $8::text[], $9::text[], $10::text[], $13::bigint[]) AS t(id, state, error_code, last_error, next_attempt_at, crc32c,
    bytes_through_process, dest_project, dest_bucket, dest_key, source_deleted_at)
)
UPDATE deliveries d SET
  state = i.state,
  updated_at = $12,
  attempts = d.attempts + CASE WHEN i.state IN ('failed', 'dead') THEN 1 ELSE 0 END,
  error_code = COALESCE(i.error_code, d.error_code),
  last_error = COALESCE(i.last_error, d.last_error),
  next_attempt_at = CASE WHEN i.state = 'failed' THEN COALESCE(i.next_attempt_at, $12) ELSE NULL END,
  crc32c = COALESCE(i.crc32c, d.crc32c),
  bytes_through_process = COALESCE(i.bytes_through_process, d.bytes_through_process),
  dest_project = COALESCE(i.dest_project, d.dest_project),
  dest_bucket = COALESCE(i.dest_bucket, d.dest_bucket),
  dest_key = COALESCE(i.dest_key, d.dest_key),
  source_deleted_at = COALESCE(i.source_deleted_at, d.source_deleted_at),
  written_at = CASE WHEN i.state = 'written' OR (i.state = 'verified' AND d.written_at IS NULL) THEN $12 ELSE d.written_at END,
  verified_at = CASE WHEN i.state = 'verified' THEN $12 ELSE d.verified_at END,
  done_at = CASE WHEN i.state = 'done' THEN $12 ELSE d.done_at END,
  claimed_by = CASE WHEN i.state = 'failed' OR i.state IN ${TERMINAL} THEN NULL ELSE d.claimed_by END,
  claim_expires_at = CASE WHEN i.state = 'failed' OR i.state IN ${TERMINAL} THEN NULL ELSE d.claim_expires_at END
FROM input i
WHERE d.id = i.id AND d.claimed_by = $11 AND d.state NOT IN ${TERMINAL}
RETURNING d.id`;

/** `reopen` of a done delivery: $1 id, $2 now, $3 error code, $4 message, $5 owner, $6 lease end. */
export const REOPEN_DONE = `UPDATE deliveries SET state = 'planned', updated_at = $2, error_code = $3, last_error = $4,
  written_at = NULL, verified_at = NULL, done_at = NULL, source_deleted_at = NULL, crc32c = NULL,
  bytes_through_process = NULL, next_attempt_at = NULL, claimed_by = $5, claim_expires_at = $6
  WHERE id = $1 AND state = 'done' RETURNING *`;

export const RELEASE = `UPDATE deliveries SET claimed_by = NULL, claim_expires_at = NULL WHERE id = $1 AND claimed_by = $2`;

export const RELEASE_OWNER = `UPDATE deliveries SET claimed_by = NULL, claim_expires_at = NULL
  WHERE claimed_by IS NOT NULL AND (claimed_by = $1 OR starts_with(claimed_by, $1 || '#'))`;

export const ACTIVE_OWNERS = `SELECT DISTINCT claimed_by FROM deliveries WHERE claimed_by IS NOT NULL AND claim_expires_at > $1`;

export const GET = `SELECT * FROM deliveries WHERE id = $1`;

export const FOR_GENERATION = `SELECT * FROM deliveries
  WHERE source_project = $1 AND source_bucket = $2 AND source_key = $3 AND generation = $4 ORDER BY route_id, id`;

export const FOR_DESTINATION = `SELECT * FROM deliveries
  WHERE dest_project = $1 AND dest_bucket = $2 AND dest_key = $3 ORDER BY updated_at DESC, id DESC`;

export const MARK_SOURCE_DELETED = `UPDATE deliveries SET source_deleted_at = $5
  WHERE source_project = $1 AND source_bucket = $2 AND source_key = $3 AND generation = $4`;

export const RESOLVE_UNROUTED_UNSEEN = `UPDATE unrouted SET resolved_at = $4
  WHERE project = $1 AND bucket = $2 AND resolved_at IS NULL AND last_seen_at < $3`;

export const RECORD_UNROUTED = `INSERT INTO unrouted AS u
  (project, bucket, key, generation, size, first_seen_at, last_seen_at, resolved_at, reason)
  VALUES ($1, $2, $3, $4, $5, $6, $6, NULL, $7)
  ON CONFLICT (project, bucket, key) DO UPDATE SET
    generation = excluded.generation,
    size = excluded.size,
    reason = excluded.reason,
    first_seen_at = CASE WHEN u.resolved_at IS NULL THEN LEAST(u.first_seen_at, excluded.first_seen_at) ELSE excluded.first_seen_at END,
    last_seen_at = CASE WHEN u.resolved_at IS NULL THEN GREATEST(u.last_seen_at, excluded.last_seen_at) ELSE excluded.last_seen_at END,
    resolved_at = NULL`;

export const RESOLVE_UNROUTED = `UPDATE unrouted SET resolved_at = $4
  WHERE project = $1 AND bucket = $2 AND key = $3 AND resolved_at IS NULL`;

export const LIST_UNROUTED = `SELECT * FROM unrouted WHERE resolved_at IS NULL
  ORDER BY last_seen_at DESC, project, bucket, key LIMIT $1 OFFSET $2`;

export const COUNTS = `SELECT state, count(*)::bigint AS n FROM deliveries GROUP BY state`;

export const UNROUTED_COUNTS = `SELECT count(*)::bigint AS n, min(first_seen_at) AS oldest FROM unrouted WHERE resolved_at IS NULL`;

/** Deliveries per route and state updated since $1 (all when NULL): rows of report-rows.ts's routeStatsFromRows. */
export const ROUTE_STATS = `SELECT route_id, state, count(*)::bigint AS n,
    COALESCE(sum(size), 0)::bigint AS bytes, max(updated_at) AS last_at
  FROM deliveries WHERE ($1::bigint IS NULL OR updated_at >= $1) GROUP BY route_id, state`;

/** Done deliveries per source bucket → destination bucket since $1 (all when NULL). */
export const FLOWS = `SELECT source_project, source_bucket, dest_project, dest_bucket,
    count(*)::bigint AS files, COALESCE(sum(size), 0)::bigint AS bytes
  FROM deliveries WHERE state = 'done' AND ($1::bigint IS NULL OR updated_at >= $1)
  GROUP BY source_project, source_bucket, dest_project, dest_bucket`;

export const RETRY_DEAD = `UPDATE deliveries SET state = 'failed', attempts = 0, next_attempt_at = $1, updated_at = $1,
    claimed_by = NULL, claim_expires_at = NULL
  WHERE state = 'dead' AND ($2::text[] IS NULL OR id = ANY($2::text[]))`;

export const MAKE_DUE = `UPDATE deliveries SET state = 'failed', attempts = 0, next_attempt_at = $1, updated_at = $1,
    claimed_by = NULL, claim_expires_at = NULL
  WHERE id = ANY($2::text[])
    AND (state = 'dead' OR (state = 'failed' AND (claimed_by IS NULL OR claim_expires_at <= $1)))`;

/**
 * `column` matches the LIKE `pattern` (a placeholder holding
 * `containsPattern(...)`) ignoring ASCII case only, as SQLite's lower():
 * under the "C" collation lower() folds ASCII only, and is fast.
 */
export function asciiContains(column: string, pattern: string): string {
  return `lower(${column} COLLATE "C") LIKE ${pattern}`;
}

/** `%needle%` with LIKE's wildcards and escape character escaped. */
export function containsPattern(lowerNeedle: string): string {
  return `%${lowerNeedle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The WHERE clause of a `query` page and its parameters; `from` keeps rows at
 * or after that position only (where a bounded search scan stopped).
 */
export function pageFilter(
  query: DeliveryQuery,
  from?: [number, string],
): { where: string; params: unknown[]; param: (value: unknown) => string } {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => `$${params.push(value)}`;
  if (query.states) where.push(`state = ANY(${param(query.states)}::text[])`);
  if (query.routeId !== undefined) where.push(`route_id = ${param(query.routeId)}`);
  if (query.search) {
    const pattern = param(containsPattern(asciiLower(query.search)));
    where.push(`(${asciiContains('source_key', pattern)} OR ${asciiContains('dest_key', pattern)})`);
  }
  if (query.sinceMs !== undefined) where.push(`updated_at >= ${param(query.sinceMs)}`);
  if (query.cursor) {
    const cursor = decodeCursor(query.cursor);
    where.push(`(updated_at, id) < (${param(cursor.updatedAt)}, ${param(cursor.id)})`);
  }
  if (from) where.push(`(updated_at, id) >= (${param(from[0])}, ${param(from[1])})`);
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params, param };
}
