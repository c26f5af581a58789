import type { WaitingGroup, WaitingGroupKey } from './types.js';

export interface WaitingRow {
  project: string;
  bucket: string;
  folder: string;
  route_id: string;
  first_seen_at: number | string;
  last_seen_at: number | string;
  members: number;
  dead_at: number | string | null;
  reason: string | null;
}

/** The open groups, oldest first (SQLite and PostgreSQL alike; `$1`/`?` is the limit). */
export const OPEN_WAITING = (param: string): string =>
  `SELECT * FROM waiting_groups WHERE dead_at IS NULL ORDER BY first_seen_at, project, bucket, folder, route_id LIMIT ${param}`;

/** A row of `waiting_groups` as a WaitingGroup (PostgreSQL's bigint arrives as text). */
export function waitingFromRow(row: WaitingRow): WaitingGroup {
  const group: WaitingGroup = {
    project: row.project,
    bucket: row.bucket,
    folder: row.folder,
    routeId: row.route_id,
    firstSeenAt: Number(row.first_seen_at),
    lastSeenAt: Number(row.last_seen_at),
    members: Number(row.members),
  };
  if (row.dead_at !== null) group.deadAt = Number(row.dead_at);
  if (row.reason !== null) group.reason = row.reason;
  return group;
}

/** A group's key as bound parameters, in the order of the table's primary key. */
export const waitingKeyValues = (g: WaitingGroupKey): unknown[] => [g.project, g.bucket, g.folder, g.routeId];
