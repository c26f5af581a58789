import { asciiLower, decodeCursor } from './rules.js';
import type { DeliveryQuery, DeliveryState, TransitionPatch } from './types.js';
import { TERMINAL_STATES } from './types.js';

const TERMINAL_SQL = `(${[...TERMINAL_STATES].map((s) => `'${s}'`).join(', ')})`;

/**
 * `transition` as one conditional UPDATE (holder, not terminal) doing what
 * rules.applyTransition does; its SET list names only the columns this
 * transition changes, so SQLite rewrites only the indexes that hold them.
 */
export function transitionSql(
  id: string,
  owner: string,
  state: DeliveryState,
  patch: TransitionPatch | undefined,
  now: number,
): { sql: string; params: Record<string, unknown> } {
  const set = ['state = @state', 'updated_at = @now'];
  const params: Record<string, unknown> = { id, owner, state, now };
  if (state === 'failed' || state === 'dead') set.push('attempts = attempts + 1');
  set.push(state === 'failed' ? 'next_attempt_at = @next' : 'next_attempt_at = NULL');
  if (state === 'failed') params.next = patch?.nextAttemptAt ?? now;
  const fields = [
    ['error_code', patch?.errorCode],
    ['last_error', patch?.lastError],
    ['crc32c', patch?.crc32c],
    ['bytes_through_process', patch?.bytesThroughProcess],
    ['dest_project', patch?.destination?.project],
    ['dest_bucket', patch?.destination?.bucket],
    ['dest_key', patch?.destination?.key],
    ['source_deleted_at', patch?.sourceDeletedAt],
  ] as const;
  for (const [column, value] of fields) {
    if (value === undefined) continue;
    set.push(`${column} = @${column}`);
    params[column] = value;
  }
  if (state === 'written') set.push('written_at = @now');
  if (state === 'verified') set.push('verified_at = @now', 'written_at = coalesce(written_at, @now)');
  if (state === 'done') set.push('done_at = @now');
  if (state === 'failed' || TERMINAL_STATES.has(state))
    set.push('claimed_by = NULL', 'claim_expires_at = NULL');
  return {
    sql: `UPDATE deliveries SET ${set.join(', ')} WHERE id = @id AND claimed_by = @owner AND state NOT IN ${TERMINAL_SQL}`,
    params,
  };
}

/** A position in `query` order (newest `updatedAt` first, ties by id descending). */
export interface Position {
  updatedAt: number;
  id: string;
}

export interface PageOptions {
  /** Keep rows at or after this position only (where a bounded search scan stopped). */
  from?: Position;
  /** Instead of rows: the position of the row this many rows down the range, search left out. */
  boundaryOffset?: number;
}

/**
 * The `query` page for one state (or none): an ordered range of the
 * `(state, updated_at, id)` or `(updated_at, id)` index, `limit` rows.
 */
export function pageSql(
  query: DeliveryQuery,
  state: DeliveryState | undefined,
  limit: number,
  options: PageOptions = {},
): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const boundary = options.boundaryOffset !== undefined;
  if (state !== undefined) {
    where.push('state = ?');
    params.push(state);
  }
  if (query.routeId !== undefined) {
    where.push('route_id = ?');
    params.push(query.routeId);
  }
  if (query.search && !boundary) {
    where.push('(instr(lower(source_key), ?) > 0 OR instr(lower(dest_key), ?) > 0)');
    const needle = asciiLower(query.search);
    params.push(needle, needle);
  }
  if (query.sinceMs !== undefined) {
    where.push('updated_at >= ?');
    params.push(query.sinceMs);
  }
  if (query.cursor) {
    const { updatedAt, id } = decodeCursor(query.cursor);
    where.push('updated_at <= ? AND (updated_at < ? OR id < ?)');
    params.push(updatedAt, updatedAt, id);
  }
  if (options.from) {
    where.push('updated_at >= ? AND (updated_at > ? OR id >= ?)');
    params.push(options.from.updatedAt, options.from.updatedAt, options.from.id);
  }
  const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  if (boundary) {
    params.push(options.boundaryOffset);
    return {
      sql: `SELECT updated_at AS updatedAt, id FROM deliveries${filter} ORDER BY updated_at DESC, id DESC LIMIT 1 OFFSET ?`,
      params,
    };
  }
  params.push(limit);
  return { sql: `SELECT * FROM deliveries${filter} ORDER BY updated_at DESC, id DESC LIMIT ?`, params };
}

/** Every state but done (counted from the rollups instead: see sqlite-rollup.ts). */
export const NOT_DONE_STATES: readonly DeliveryState[] = [
  'planned',
  'written',
  'verified',
  'failed',
  'dead',
  'gone',
  'superseded',
];
const NOT_DONE = `(${NOT_DONE_STATES.map((s) => `'${s}'`).join(', ')})`;

/** Deliveries in any state but done per route and state since a time: few, on the state index. */
export const ROUTE_NOT_DONE = `SELECT route_id, state, count(*) AS n, max(updated_at) AS last_at
  FROM deliveries INDEXED BY deliveries_state WHERE state IN ${NOT_DONE} AND updated_at >= ?
  GROUP BY route_id, state`;

export const COUNT_NOT_DONE = `SELECT state, count(*) AS n FROM deliveries INDEXED BY deliveries_state
  WHERE state IN ${NOT_DONE} GROUP BY state`;
