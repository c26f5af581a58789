import type { LockAttempt, LockOptions } from './batch-lock.js';

/**
 * Takes the named lock so two drains never run at once. With a PostgreSQL
 * ledger it is an advisory lock (batch-lock-pg.ts: shared by every worker of
 * that database, it ends with the holder's connection; `pg` loads only then).
 * Otherwise a row in `<state>/locks.db` (batch-lock-sqlite.ts; `better-sqlite3`,
 * a native module, loads only then).
 */
export async function acquireDrainLock(options: LockOptions): Promise<LockAttempt> {
  if (options.ledgerUrl && /^postgres(ql)?:\/\//i.test(options.ledgerUrl)) {
    const { acquirePostgresLock } = await import('./batch-lock-pg.js');
    return acquirePostgresLock({ ...options, ledgerUrl: options.ledgerUrl });
  }
  const { acquireSqliteLock } = await import('./batch-lock-sqlite.js');
  return acquireSqliteLock(options);
}
