import type { Pool, QueryResultRow } from 'pg';
import { withPgRetry, type RetryOptions } from './errors.js';
import { recordFromRow, type DeliveryRow } from '../rows.js';
import * as sql from './sql.js';
import type { DeliveryRecord } from '../types.js';

/**
 * One PostgreSQL ledger's pool as its write path and its reports both use
 * it: every statement runs with the retry policy (postgres-errors.ts), and
 * stops being retried once the pool is closed.
 */
export class PgConnection {
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly retry: RetryOptions,
    readonly now: () => number,
  ) {}

  /**
   * The rows of one statement; `idempotent` false: retried only when it
   * certainly did not reach the server.
   */
  async run<T extends QueryResultRow>(
    operation: string,
    text: string,
    params: unknown[],
    idempotent = true,
  ): Promise<T[]> {
    return (await this.query<T>(operation, text, params, idempotent)).rows;
  }

  /** How many rows one (idempotent) statement changed. */
  async count(operation: string, text: string, params: unknown[]): Promise<number> {
    return (await this.query(operation, text, params, true)).rowCount ?? 0;
  }

  async getOne(id: string): Promise<DeliveryRecord | undefined> {
    const [row] = await this.run<DeliveryRow>('get', sql.GET, [id]);
    return row ? recordFromRow(row) : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private query<T extends QueryResultRow>(
    operation: string,
    text: string,
    params: unknown[],
    idempotent: boolean,
  ): Promise<{ rows: T[]; rowCount: number | null }> {
    return withPgRetry(operation, () => this.pool.query<T>(text, params), {
      ...this.retry,
      idempotent,
      isClosed: () => this.closed,
    });
  }
}
