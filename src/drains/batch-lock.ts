import type { Logger } from '../util/log.js';

/**
 * The drain lock's contract: what a drain holds so two drains of one queue
 * never run at once. Implementations: a row in `<state>/locks.db`
 * (batch-lock-sqlite.ts) and a PostgreSQL advisory lock (batch-lock-pg.ts);
 * acquireDrainLock (batch-lock-acquire.ts) picks one.
 */

/** Who holds a lock, for the message the second drain prints. */
export interface LockHolder {
  owner: string;
  /** epoch ms the holder took the lock. */
  since: number;
  /** epoch ms the lock expires unless renewed (SQLite lock only). */
  expiresAt?: number;
}

/**
 * A held lock. The holder renews it on a timer; when a renewal finds it was
 * taken over (this process stalled past the expiry) or the connection is gone,
 * `lost` turns true and `onLost` callbacks run: the drain stops pulling.
 */
export interface DrainLock {
  readonly name: string;
  readonly owner: string;
  readonly since: number;
  readonly lost: boolean;
  onLost(callback: () => void): void;
  release(): Promise<void>;
}

export type LockAttempt = { acquired: true; lock: DrainLock } | { acquired: false; holder: LockHolder };

export interface LockOptions {
  /** The state folder (`<state>/locks.db` for the SQLite lock). */
  stateDir: string;
  /** `postgres://…`: a `pg_try_advisory_lock` on a dedicated connection instead of the file. */
  ledgerUrl?: string;
  name: string;
  /** `host:pid:nonce` (Context.owner). */
  owner: string;
  /** SQLite lock: expiry unless renewed (default 30 s). */
  ttlMs?: number;
  /** Renewal period (default ttl / 6, at most 5 s). */
  heartbeatMs?: number;
  logger?: Logger;
  now?: () => number;
}

/** `another drain is running (owner …, since …)`. */
export function describeHolder(holder: LockHolder): string {
  return `another drain is running (owner ${holder.owner}, since ${new Date(holder.since).toISOString()})`;
}
