import { fieldOf } from './validate-row.js';
import type { RawRow, Route } from './types.js';

/** A row of one side of a diff: its route, and whether the row sets `route_id` itself. */
export interface DiffRow {
  route: Route;
  /** The row sets `route_id` (otherwise `route.id` is the default `row-N`). */
  hasRouteId: boolean;
}

export interface ChangedRow {
  old: DiffRow;
  new: DiffRow;
  /** The columns whose values differ, by column name (`source_file_mask`, `action`, …), sorted. */
  fields: string[];
}

export interface RowDiff {
  added: DiffRow[];
  removed: DiffRow[];
  changed: ChangedRow[];
}

/** Properties of a route that say where it is, not what it does: never compared. */
const POSITION = new Set<string>(['id', 'file', 'line']);

/** Route properties whose column is not their name in snake case. */
const COLUMN_OF: Record<string, string> = { mask: 'source_file_mask' };

/**
 * Rows added, removed and changed from `before` to `after`. A row's identity
 * is its `route_id` when the row sets one, else its source project, bucket
 * and mask; rows of one identity without a `route_id` (a fan-out of one mask
 * to several destinations) pair in file order. A changed row is one identity
 * on both sides whose other values differ after defaults apply (an absent
 * `action` equals `move`): every property of the compiled route takes part,
 * so a column added to the referential is compared without change here.
 */
export function diffRows(before: readonly DiffRow[], after: readonly DiffRow[]): RowDiff {
  const pending = new Map<string, DiffRow[]>();
  for (const row of before) {
    const key = identityOf(row);
    const list = pending.get(key);
    if (list) list.push(row);
    else pending.set(key, [row]);
  }
  const added: DiffRow[] = [];
  const changed: ChangedRow[] = [];
  for (const row of after) {
    const old = pending.get(identityOf(row))?.shift();
    if (!old) {
      added.push(row);
      continue;
    }
    const fields = changedFields(old.route, row.route);
    if (fields.length > 0) changed.push({ old, new: row, fields });
  }
  const removed = [...pending.values()].flat().sort((a, b) => a.route.line - b.route.line);
  return { added, removed, changed };
}

/**
 * The rows of a side, from the raw rows and the routes validated from them:
 * a referential without errors has a route per row, in row order; otherwise
 * a route is found by its row's file and line.
 */
export function diffRowsOf(rows: readonly RawRow[], routes: readonly Route[]): DiffRow[] {
  if (rows.length === routes.length)
    return routes.map((route, i) => ({ route, hasRouteId: fieldOf(rows[i]!, 'route_id') !== '' }));
  const withId = new Set<string>();
  for (const row of rows) if (fieldOf(row, 'route_id') !== '') withId.add(`${row.file}\u0000${row.line}`);
  return routes.map((route) => ({ route, hasRouteId: withId.has(`${route.file}\u0000${route.line}`) }));
}

/** How a row is named in a diff: `route_id` when set, else `project/bucket mask`. */
export function rowLabel(row: DiffRow): string {
  return row.hasRouteId
    ? row.route.id
    : `${row.route.sourceProject}/${row.route.sourceBucket} ${row.route.mask}`;
}

function identityOf(row: DiffRow): string {
  const r = row.route;
  return row.hasRouteId
    ? `id\u0000${r.id}`
    : `src\u0000${r.sourceProject}\u0000${r.sourceBucket}\u0000${r.mask}`;
}

function changedFields(before: Route, after: Route): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  const fields: string[] = [];
  for (const name of names) {
    if (POSITION.has(name)) continue;
    const a = (before as unknown as Record<string, unknown>)[name];
    const b = (after as unknown as Record<string, unknown>)[name];
    if (!sameValue(a, b)) fields.push(columnOf(name));
  }
  return fields.sort();
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function columnOf(property: string): string {
  return COLUMN_OF[property] ?? property.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
