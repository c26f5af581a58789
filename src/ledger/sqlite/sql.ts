import { asciiLower, decodeCursor } from '../rules.js';
import type { DeliveryQuery, DeliveryState, TransitionPatch } from '../types.js';
import { TERMINAL_STATES } from '../types.js';

const TERMINAL_SQL = `(${[...TERMINAL_STATES].map((s) => `'${s}'`).join(', ')})`;

const PATCH_COLUMNS = [
  ['error_code', (p: TransitionPatch) => p.errorCode],
  ['last_error', (p: TransitionPatch) => p.lastError],
  ['crc32c', (p: TransitionPatch) => p.crc32c],
  ['bytes_through_process', (p: TransitionPatch) => p.bytesThroughProcess],
  ['dest_project', (p: TransitionPatch) => p.destination?.project],
  ['dest_bucket', (p: TransitionPatch) => p.destination?.bucket],
  ['dest_key', (p: TransitionPatch) => p.destination?.key],
  ['source_deleted_at', (p: TransitionPatch) => p.sourceDeletedAt],
] as const;

/** UPDATE texts by state and the patch columns present (a bit each): a handful in a run. */
const TRANSITION_TEXTS = new Map<string, string>();

/**
 * `transition` as one conditional UPDATE (holder, not terminal) doing what
 * rules.applyTransition does; its SET list names only the columns this
 * transition changes, so SQLite rewrites only the indexes that hold them.
 * Parameters are positional and the text is built once per shape: a done
 * transition is written thousands of times a second.
 */
export function transitionSql(
  id: string,
  owner: string,
  state: DeliveryState,
  patch: TransitionPatch | undefined,
  now: number,
  throughVerified = false,
): { sql: string; params: unknown[] } {
  // `verified` then `done` in one UPDATE (verifiedThenDoneSql): done's SET list and verified's stamps
  const merged = throughVerified && state === 'done';
  const params: unknown[] = [state, now];
  let present = 0;
  if (patch) {
    PATCH_COLUMNS.forEach(([, read], bit) => {
      const value = read(patch);
      if (value === undefined) return;
      present |= 1 << bit;
      params.push(value);
    });
  }
  if (state === 'failed') params.push(patch?.nextAttemptAt ?? now);
  params.push(...Array<number>((STAMPS[state] ?? 0) + (merged ? 2 : 0)).fill(now), id, owner);
  const shape = `${merged ? 'verified+' : ''}${state}:${present}`;
  let sql = TRANSITION_TEXTS.get(shape);
  if (sql === undefined) {
    sql = transitionText(state, present, merged);
    TRANSITION_TEXTS.set(shape, sql);
  }
  return { sql, params };
}

/**
 * A `verified` transition and the `done` right after it, of one delivery by
 * one owner, as one UPDATE: what the two do one after the other (the same
 * holder and state conditions, verified's stamps, each patch's columns,
 * done's where both name one). A copy the router records standing hands
 * the ledger both at once (router/record-standing.ts): one row write and
 * one pass over its indexes instead of two.
 */
export function verifiedThenDoneSql(
  id: string,
  owner: string,
  verified: TransitionPatch | undefined,
  done: TransitionPatch | undefined,
  now: number,
): { sql: string; params: unknown[] } {
  const patch: Record<string, unknown> = { ...verified };
  for (const [field, value] of Object.entries(done ?? {})) if (value !== undefined) patch[field] = value;
  return transitionSql(id, owner, 'done', patch as TransitionPatch, now, true);
}

/** How many more times a transition to this state binds its time (the stamps below). */
const STAMPS: Partial<Record<DeliveryState, number>> = { written: 1, verified: 2, done: 1 };

function transitionText(state: DeliveryState, present: number, throughVerified: boolean): string {
  // parameters in text order: state, now, the present patch columns, (failed) the next attempt, the stamps, id, owner
  const set = ['state = ?', 'updated_at = ?'];
  for (const [bit, [column]] of PATCH_COLUMNS.entries()) if (present & (1 << bit)) set.push(`${column} = ?`);
  if (state === 'failed' || state === 'dead') set.push('attempts = attempts + 1');
  set.push(state === 'failed' ? 'next_attempt_at = ?' : 'next_attempt_at = NULL');
  if (state === 'written') set.push('written_at = ?');
  if (state === 'verified' || throughVerified)
    set.push('verified_at = ?', 'written_at = coalesce(written_at, ?)');
  if (state === 'done') set.push('done_at = ?');
  if (state === 'failed' || TERMINAL_STATES.has(state))
    set.push('claimed_by = NULL', 'claim_expires_at = NULL');
  return `UPDATE deliveries SET ${set.join(', ')} WHERE id = ? AND claimed_by = ? AND state NOT IN ${TERMINAL_SQL}`;
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

/** `reopen` of a done delivery: parameters now, error code, message, owner, lease end, id. */
export const REOPEN_DONE = `UPDATE deliveries SET state = 'planned', updated_at = ?, error_code = ?, last_error = ?,
  written_at = NULL, verified_at = NULL, done_at = NULL, source_deleted_at = NULL, crc32c = NULL,
  bytes_through_process = NULL, next_attempt_at = NULL, claimed_by = ?, claim_expires_at = ?
  WHERE id = ? AND state = 'done'`;
