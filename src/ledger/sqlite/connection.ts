import type { Statement } from 'better-sqlite3';
import { sqliteTransactions, type SqliteDatabase, type SqliteTransactions } from '../../util/sqlite.js';
import { recordFromRow, type DeliveryRow } from '../rows.js';
import type { DeliveryRecord } from '../types.js';

export type SqliteParams = unknown[] | object;

/**
 * One SQLite ledger file as its write path and its reports both use it:
 * statements prepared once per distinct text, the transaction helpers, and
 * the clock leases and timestamps read.
 */
export class SqliteConnection {
  readonly tx: SqliteTransactions;
  private readonly cache = new Map<string, Statement>();

  constructor(
    readonly db: SqliteDatabase,
    readonly now: () => number,
  ) {
    this.tx = sqliteTransactions(db);
  }

  getOne(id: string): DeliveryRecord | undefined {
    const row = this.statement('SELECT * FROM deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    return row ? recordFromRow(row) : undefined;
  }

  rows<T = DeliveryRow>(sql: string, params: SqliteParams): T[] {
    return this.statement(sql).all(params) as T[];
  }

  run(sql: string, params: SqliteParams): { changes: number } {
    return this.statement(sql).run(params);
  }

  statement(sql: string): Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
