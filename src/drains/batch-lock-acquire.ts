import { acquireSqliteLock } from './batch-lock-sqlite.js';
import type { LockAttempt, LockOptions } from './batch-lock.js';

/**
 * Takes the named lock so two drains never run at once. With a PostgreSQL
 * ledger it is an advisory lock (batch-lock-pg.ts: shared by every worker of
 * that database, it ends with the holder's connection; `pg` loads only then).
 * Otherwise a row in `<state>/locks.db` (batch-lock-sqlite.ts).
 */
export async function acquireDrainLock(options: LockOptions): Promise<LockAttempt> {
  if (options.ledgerUrl && /^postgres(ql)?:\/\//i.test(options.ledgerUrl)) {
    const { acquirePostgresLock } = await import('./batch-lock-pg.js');
    return acquirePostgresLock({ ...options, ledgerUrl: options.ledgerUrl });
  }
  return acquireSqliteLock(options);
}
