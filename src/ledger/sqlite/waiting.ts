import type { WaitingBook, WaitingGroup, WaitingGroupKey } from '../types.js';
import { OPEN_WAITING, waitingFromRow, waitingKeyValues, type WaitingRow } from '../waiting-rows.js';
import type { SqliteConnection } from './connection.js';

const KEY = 'project = ? AND bucket = ? AND folder = ? AND route_id = ?';

/** The SQLite ledger's waiting groups (table `waiting_groups`, migration 7). */
export class SqliteWaitingBook implements WaitingBook {
  constructor(private readonly c: SqliteConnection) {}

  async record(group: WaitingGroupKey, members: number, at: number): Promise<void> {
    this.c.run(
      `INSERT INTO waiting_groups (project, bucket, folder, route_id, first_seen_at, last_seen_at, members, dead_at, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)
       ON CONFLICT (project, bucket, folder, route_id) DO UPDATE SET
         first_seen_at = CASE WHEN dead_at IS NULL THEN min(first_seen_at, excluded.first_seen_at) ELSE excluded.first_seen_at END,
         last_seen_at = CASE WHEN dead_at IS NULL THEN max(last_seen_at, excluded.last_seen_at) ELSE excluded.last_seen_at END,
         members = excluded.members, dead_at = NULL, reason = NULL`,
      [...waitingKeyValues(group), at, at, members],
    );
  }

  async resolve(group: WaitingGroupKey): Promise<void> {
    this.c.run(`DELETE FROM waiting_groups WHERE ${KEY}`, waitingKeyValues(group));
  }

  async expire(group: WaitingGroupKey, at: number, reason: string): Promise<boolean> {
    const { changes } = this.c.run(
      `UPDATE waiting_groups SET dead_at = ?, reason = ? WHERE ${KEY} AND dead_at IS NULL`,
      [at, reason, ...waitingKeyValues(group)],
    );
    return changes > 0;
  }

  async open(limit = -1): Promise<WaitingGroup[]> {
    return this.c.rows<WaitingRow>(OPEN_WAITING('?'), [limit]).map(waitingFromRow);
  }
}
