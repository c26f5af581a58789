import { hostname } from 'node:os';
import path from 'node:path';
import { migrateSqlite, openSqliteFile, type SqliteDatabase, type SqliteMigration } from '../util/sqlite.js';
import { isAlive } from '../util/process.js';
import type { Statement } from 'better-sqlite3';
import type { LockAttempt, LockHolder, LockOptions } from './batch-lock.js';
import { HeldLock } from './batch-lock-held.js';

const LOCK_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'locks',
    sql: `
      CREATE TABLE locks (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        acquired_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `,
  },
];

interface LockRow {
  owner: string;
  host: string;
  pid: number;
  acquired_at: number;
  expires_at: number;
}

/**
 * The drain lock as a row in `<state>/locks.db`: taken when absent, expired,
 * or held by a process of this host that no longer exists (a SIGKILLed drain
 * is taken over at once, one on another host after the expiry); renewed on a
 * timer while held.
 */
export function acquireSqliteLock(options: LockOptions): LockAttempt {
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? 30_000;
  const host = hostname();
  const db = openSqliteFile(path.join(options.stateDir, 'locks.db'));
  try {
    migrateSqlite(db, 'locks', LOCK_MIGRATIONS);
    const read = db.prepare<[string], LockRow>(
      'SELECT owner, host, pid, acquired_at, expires_at FROM locks WHERE name = ?',
    );
    const write = db.prepare(
      'INSERT INTO locks (name, owner, host, pid, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid, ' +
        'acquired_at = excluded.acquired_at, expires_at = excluded.expires_at',
    );
    const outcome = db
      .transaction((): { holder: LockHolder } | { since: number } => {
        const at = now();
        const row = read.get(options.name);
        if (
          row &&
          row.owner !== options.owner &&
          row.expires_at > at &&
          !(row.host === host && !isAlive(row.pid))
        ) {
          return { holder: { owner: row.owner, since: row.acquired_at, expiresAt: row.expires_at } };
        }
        const since = row && row.owner === options.owner ? row.acquired_at : at;
        write.run(options.name, options.owner, host, process.pid, since, at + ttlMs);
        return { since };
      })
      .immediate();
    if ('holder' in outcome) {
      db.close();
      return { acquired: false, holder: outcome.holder };
    }
    return { acquired: true, lock: new SqliteLock(db, options, outcome.since, ttlMs, now) };
  } catch (error) {
    if (db.open) db.close();
    throw error;
  }
}

class SqliteLock extends HeldLock {
  private readonly renew: Statement;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly options: LockOptions,
    since: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {
    super(options, since, options.heartbeatMs ?? Math.min(5_000, ttlMs / 6));
    this.renew = db.prepare('UPDATE locks SET expires_at = ? WHERE name = ? AND owner = ?');
  }

  protected beat(): void {
    try {
      if (this.renew.run(this.now() + this.ttlMs, this.name, this.owner).changes === 0) this.markLost();
    } catch (error) {
      this.options.logger?.warn(
        { err: error, lock: this.name },
        'could not renew the drain lock; will try again',
      );
    }
  }

  protected async letGo(): Promise<void> {
    if (!this.db.open) return;
    try {
      this.db.prepare('DELETE FROM locks WHERE name = ? AND owner = ?').run(this.name, this.owner);
    } finally {
      this.db.close();
    }
  }
}
