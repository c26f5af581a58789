import { openMigratedSqlite, type SqliteDatabase } from '../../util/sqlite.js';
import { SqliteConnection } from './connection.js';
import { SqliteReports } from './reports.js';
import { LEDGER_MIGRATIONS } from './schema.js';
import { SqliteLedger } from './writes.js';
import type { LedgerStore } from '../types.js';

export interface SqliteLedgerOptions {
  /** Clock for leases and timestamps (tests). */
  now?: () => number;
}

/**
 * Opens (creating it and its folder if needed) the embedded ledger: one
 * SQLite file in WAL mode that several processes may share. Claims and
 * transitions run in `BEGIN IMMEDIATE` transactions, so two processes can
 * never both hold one delivery.
 */
export async function openSqliteLedger(
  path: string,
  options: SqliteLedgerOptions = {},
): Promise<LedgerStore> {
  const db = openMigratedSqlite(path, 'ledger', LEDGER_MIGRATIONS);
  db.pragma('cache_size = -16000');
  return sqliteLedgerStore(db, options);
}

/** The ledger in a database already opened and migrated; closing the store closes the database. */
export function sqliteLedgerStore(db: SqliteDatabase, options: SqliteLedgerOptions = {}): LedgerStore {
  const connection = new SqliteConnection(db, options.now ?? Date.now);
  return {
    ledger: new SqliteLedger(connection),
    reports: new SqliteReports(connection),
    async close() {
      connection.close();
    },
  };
}
