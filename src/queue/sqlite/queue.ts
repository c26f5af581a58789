import { crypto } from '../../util/builtins.js';
import type { Statement } from 'better-sqlite3';
import type { ObjectEvent } from '../../model/event.js';
import {
  migrateSqlite,
  openSqliteFile,
  sqliteTransactions,
  type SqliteDatabase,
  type SqliteTransactions,
  type SqliteMigration,
} from '../../util/sqlite.js';
import { decodeQueueBody } from '../body-decode.js';
import { encodeEvent } from '../../notifications/queued-event.js';
import type { DeadLetter, Queue, QueueCapabilities, QueueMessage, QueueStats } from '../types.js';

export interface SqliteQueueOptions {
  /** Several named queues may share one file; default `default`. */
  name?: string;
  /**
   * `FULL` (default): `publish` resolves once the events survive a power loss
   * (one fsync per call, so publish in batches); `NORMAL`: once they survive
   * a process crash. The same holds for reviving dead letters. A lease's
   * bookkeeping (pull, ack, nack, extend, dead-letter) is committed `NORMAL`
   * whatever this says: it survives a process crash, so a message's
   * attempts still count across crashes, and what a power loss takes back
   * of it only hands a message out again (deliveries are idempotent) or
   * leaves a dead letter to be retried.
   */
  synchronous?: 'NORMAL' | 'FULL';
  /** How often `pull` looks again while it waits (default 50 ms). */
  pollMs?: number;
  now?: () => number;
}

const QUEUE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'messages',
    sql: `
      CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        queue TEXT NOT NULL,
        event TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        enqueued_at INTEGER NOT NULL,
        visible_at INTEGER NOT NULL,
        lease_token TEXT,
        state TEXT NOT NULL CHECK (state IN ('ready', 'leased', 'dead')),
        dead_reason TEXT,
        dead_at INTEGER
      );
      CREATE INDEX messages_visible ON messages (queue, state, visible_at);
    `,
  },
];

interface MessageRow {
  id: number;
  /** The body: text as switchyard writes it; a BLOB when another writer put bytes there. */
  event: string | Uint8Array;
  attempts: number;
  enqueued_at: number;
  dead_reason: string | null;
  dead_at: number | null;
}

/** `${rowid}:${token}` → its parts; anything else is an unknown id. */
function parseLeaseId(id: string): { rowid: number; token: string } | undefined {
  const match = /^(\d+):([0-9a-f]+)$/.exec(id);
  return match ? { rowid: Number(match[1]), token: match[2] as string } : undefined;
}

function parseRowid(id: string): number | undefined {
  const match = /^(\d+)(?::|$)/.exec(id);
  return match ? Number(match[1]) : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens the embedded queue: a `messages` table in a SQLite file (its own or
 * shared with the ledger), safe for several processes. Pulls run in one
 * IMMEDIATE transaction, so two consumers never lease the same message.
 */
export async function openSqliteQueue(path: string, options: SqliteQueueOptions = {}): Promise<SqliteQueue> {
  const db = openSqliteFile(path, { synchronous: 'NORMAL' });
  try {
    migrateSqlite(db, 'queue', QUEUE_MIGRATIONS);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteQueue(db, options);
}

/**
 * A message's id encodes its lease (`rowid:token`): once a lease expires and
 * the message goes to someone else, the old id acks, nacks and extends nothing.
 */
export class SqliteQueue implements Queue {
  readonly name: string;
  readonly capabilities: QueueCapabilities = { exactStats: true, nackDelay: true, deadLetterAdmin: true };
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly cache = new Map<string, Statement>();
  private readonly tx: SqliteTransactions;
  /** How publishes and revivals commit (SqliteQueueOptions.synchronous); everything else commits NORMAL. */
  private readonly durability: 'NORMAL' | 'FULL';

  constructor(
    private readonly db: SqliteDatabase,
    options: SqliteQueueOptions = {},
  ) {
    this.name = options.name ?? 'default';
    this.tx = sqliteTransactions(db);
    this.now = options.now ?? Date.now;
    this.pollMs = options.pollMs ?? 50;
    this.durability = options.synchronous ?? 'FULL';
  }

  /** A write transaction committed at `durability` (one fsync of the WAL under FULL), the connection then back at NORMAL. */
  private durably<T>(fn: () => T): T {
    if (this.durability === 'NORMAL') return this.tx.write(fn);
    this.db.pragma('synchronous = FULL');
    try {
      return this.tx.write(fn);
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  async publish(events: ObjectEvent[]): Promise<void> {
    if (events.length === 0) return;
    const insert = this.statement(
      "INSERT INTO messages (queue, event, attempts, enqueued_at, visible_at, state) VALUES (?, ?, 0, ?, ?, 'ready')",
    );
    this.durably(() => {
      const now = this.now();
      for (const event of events) insert.run(this.name, encodeEvent(event), now, now);
    });
  }

  async pull(max: number, leaseMs: number, waitMs = 0): Promise<QueueMessage[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (!this.db.open) return [];
      const messages = this.pullNow(max, leaseMs);
      const left = deadline - Date.now();
      if (messages.length > 0 || left <= 0) return messages;
      await sleep(Math.min(this.pollMs, left));
    }
  }

  async ack(ids: string[]): Promise<void> {
    const remove = this.statement(
      "DELETE FROM messages WHERE id = ? AND queue = ? AND state = 'leased' AND lease_token = ?",
    );
    this.eachLease(ids, (rowid, token) => remove.run(rowid, this.name, token));
  }

  async nack(id: string, delayMs: number): Promise<void> {
    const lease = parseLeaseId(id);
    if (!lease) return;
    this.statement(
      "UPDATE messages SET state = 'ready', visible_at = ?, lease_token = NULL WHERE id = ? AND queue = ? AND state = 'leased' AND lease_token = ?",
    ).run(this.now() + Math.max(0, delayMs), lease.rowid, this.name, lease.token);
  }

  async extend(ids: string[], leaseMs: number): Promise<void> {
    const update = this.statement(
      "UPDATE messages SET visible_at = ? WHERE id = ? AND queue = ? AND state = 'leased' AND lease_token = ?",
    );
    const until = this.now() + leaseMs;
    this.eachLease(ids, (rowid, token) => update.run(until, rowid, this.name, token));
  }

  async deadLetter(id: string, reason: string): Promise<void> {
    const lease = parseLeaseId(id);
    if (!lease) return;
    this.statement(
      "UPDATE messages SET state = 'dead', dead_reason = ?, dead_at = ?, lease_token = NULL WHERE id = ? AND queue = ? AND state = 'leased' AND lease_token = ?",
    ).run(reason, this.now(), lease.rowid, this.name, lease.token);
  }

  async stats(): Promise<QueueStats> {
    const now = this.now();
    const count = (sql: string, ...params: unknown[]): number =>
      this.statement(`SELECT count(*) FROM messages WHERE queue = ? AND ${sql}`)
        .pluck()
        .get(this.name, ...params) as number;
    return this.tx.read(() => {
      const stats: QueueStats = {
        depth: count("state = 'ready'") + count("state = 'leased' AND visible_at <= ?", now),
        inFlight: count("state = 'leased' AND visible_at > ?", now),
        dead: count("state = 'dead'"),
      };
      const oldest = this.statement(
        "SELECT enqueued_at FROM messages WHERE queue = ? AND state <> 'dead' ORDER BY id LIMIT 1",
      )
        .pluck()
        .get(this.name) as number | undefined;
      if (oldest !== undefined) stats.oldestAgeMs = Math.max(0, now - oldest);
      return stats;
    });
  }

  async listDeadLetters(limit: number): Promise<DeadLetter[]> {
    const rows = this.statement(
      "SELECT id, event, attempts, enqueued_at, dead_reason, dead_at FROM messages WHERE queue = ? AND state = 'dead' ORDER BY id LIMIT ?",
    ).all(this.name, Math.max(0, limit)) as MessageRow[];
    return rows.map((row) => {
      const { event, raw } = decodeQueueBody(row.event, { origin: 'manual' });
      return {
        id: String(row.id),
        event,
        ...(raw ? { raw } : {}),
        attempts: row.attempts,
        reason: row.dead_reason ?? '',
        enqueuedAt: row.enqueued_at,
        deadAt: row.dead_at ?? 0,
      };
    });
  }

  async retryDeadLetters(ids?: string[]): Promise<number> {
    const revive =
      "UPDATE messages SET state = 'ready', attempts = 0, visible_at = ?, lease_token = NULL, dead_reason = NULL, dead_at = NULL " +
      "WHERE queue = ? AND state = 'dead'";
    return this.durably(() => {
      const now = this.now();
      if (ids === undefined) return this.statement(revive).run(now, this.name).changes;
      let changed = 0;
      const one = this.statement(`${revive} AND id = ?`);
      for (const id of new Set(ids)) {
        const rowid = parseRowid(id);
        if (rowid !== undefined) changed += one.run(now, this.name, rowid).changes;
      }
      return changed;
    });
  }

  async purgeDeadLetters(): Promise<number> {
    return this.statement("DELETE FROM messages WHERE queue = ? AND state = 'dead'").run(this.name).changes;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** Leases up to `max` visible messages: expired leases first, then ready ones, oldest first. */
  private pullNow(max: number, leaseMs: number): QueueMessage[] {
    const limit = Math.floor(max);
    if (limit <= 0) return [];
    const lease = (state: 'leased' | 'ready'): Statement =>
      this.statement(
        `UPDATE messages SET state = 'leased', lease_token = ?, visible_at = ?, attempts = attempts + 1
         WHERE id IN (SELECT id FROM messages WHERE queue = ? AND state = '${state}' AND visible_at <= ? ORDER BY visible_at, id LIMIT ?)
         RETURNING id, event, attempts, enqueued_at`,
      );
    const token = crypto().randomBytes(8).toString('hex');
    const rows = this.tx.write(() => {
      const now = this.now();
      const taken = lease('leased').all(token, now + leaseMs, this.name, now, limit) as MessageRow[];
      if (taken.length < limit)
        taken.push(
          ...(lease('ready').all(token, now + leaseMs, this.name, now, limit - taken.length) as MessageRow[]),
        );
      return taken;
    });
    return rows
      .sort((x, y) => x.id - y.id)
      .map((row) => ({
        id: `${row.id}:${token}`,
        ...decodeQueueBody(row.event, { origin: 'manual' }),
        attempts: row.attempts,
        enqueuedAt: row.enqueued_at,
      }));
  }

  private eachLease(ids: string[], apply: (rowid: number, token: string) => void): void {
    const leases = ids.map(parseLeaseId).filter((l) => l !== undefined);
    if (leases.length === 0) return;
    this.tx.write(() => {
      for (const { rowid, token } of leases) apply(rowid, token);
    });
  }

  private statement(sql: string): Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }
}
