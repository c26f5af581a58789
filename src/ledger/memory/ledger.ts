import { MemoryRecords, type MemoryLedgerOptions } from './records.js';
import { MemoryReports } from './reports.js';
import { MemoryLedger } from './writes.js';
import type { LedgerStore } from '../types.js';

export type { MemoryLedgerOptions } from './records.js';

/** A ledger kept in process memory: one process only, gone on exit (unit tests, dry runs). */
export function createMemoryLedger(options: MemoryLedgerOptions = {}): LedgerStore {
  const records = new MemoryRecords(options);
  return { ledger: new MemoryLedger(records), reports: new MemoryReports(records), async close() {} };
}
