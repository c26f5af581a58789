import type { WaitingBook, WaitingGroup, WaitingGroupKey } from '../types.js';
import { OPEN_WAITING, waitingFromRow, waitingKeyValues, type WaitingRow } from '../waiting-rows.js';
import type { PgConnection } from './connection.js';

const KEY = 'project = $1 AND bucket = $2 AND folder = $3 AND route_id = $4';

const RECORD = `INSERT INTO waiting_groups (project, bucket, folder, route_id, first_seen_at, last_seen_at, members, dead_at, reason)
  VALUES ($1, $2, $3, $4, $5, $5, $6, NULL, NULL)
  ON CONFLICT (project, bucket, folder, route_id) DO UPDATE SET
    first_seen_at = CASE WHEN waiting_groups.dead_at IS NULL THEN LEAST(waiting_groups.first_seen_at, excluded.first_seen_at) ELSE excluded.first_seen_at END,
    last_seen_at = CASE WHEN waiting_groups.dead_at IS NULL THEN GREATEST(waiting_groups.last_seen_at, excluded.last_seen_at) ELSE excluded.last_seen_at END,
    members = excluded.members, dead_at = NULL, reason = NULL`;

/** The PostgreSQL ledger's waiting groups (table `waiting_groups`, migration 3). */
export class PostgresWaitingBook implements WaitingBook {
  constructor(private readonly c: PgConnection) {}

  async record(group: WaitingGroupKey, members: number, at: number): Promise<void> {
    await this.c.run('recordWaiting', RECORD, [...waitingKeyValues(group), at, members]);
  }

  async resolve(group: WaitingGroupKey): Promise<void> {
    await this.c.run('resolveWaiting', `DELETE FROM waiting_groups WHERE ${KEY}`, waitingKeyValues(group));
  }

  async expire(group: WaitingGroupKey, at: number, reason: string): Promise<boolean> {
    const changed = await this.c.count(
      'expireWaiting',
      `UPDATE waiting_groups SET dead_at = $5, reason = $6 WHERE ${KEY} AND dead_at IS NULL`,
      [...waitingKeyValues(group), at, reason],
    );
    return changed > 0;
  }

  async open(limit?: number): Promise<WaitingGroup[]> {
    return listOpenWaiting(this.c, limit);
  }
}

/** The open groups, oldest first (all of them without `limit`). */
export async function listOpenWaiting(c: PgConnection, limit?: number): Promise<WaitingGroup[]> {
  const rows = await c.run<WaitingRow>('openWaiting', OPEN_WAITING('$1'), [limit ?? null]);
  return rows.map(waitingFromRow);
}
