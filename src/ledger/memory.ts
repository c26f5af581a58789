import { MemoryRecords, type MemoryLedgerOptions } from './memory-records.js';
import { MemoryReports } from './memory-reports.js';
import { MemoryLedger } from './memory-writes.js';
import type { LedgerStore } from './types.js';

export type { MemoryLedgerOptions } from './memory-records.js';

/** A ledger kept in process memory: one process only, gone on exit (unit tests, dry runs). */
export function createMemoryLedger(options: MemoryLedgerOptions = {}): LedgerStore {
  const records = new MemoryRecords(options);
  return { ledger: new MemoryLedger(records), reports: new MemoryReports(records), async close() {} };
}
