import type { Location } from '../../storage/types.js';
import type { DeliveryRecord, UnroutedRecord, WaitingGroup } from '../types.js';

export interface MemoryLedgerOptions {
  now?: () => number;
}

/** What a memory ledger holds: the write path changes it, the reports read it. */
export class MemoryRecords {
  readonly deliveries = new Map<string, DeliveryRecord>();
  /** By `locationKey` of the source. */
  readonly unrouted = new Map<string, UnroutedRecord>();
  /** Waiting groups by `groupKey` (waiting.ts). */
  readonly waiting = new Map<string, WaitingGroup>();
  readonly now: () => number;

  constructor(options: MemoryLedgerOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  select(keep: (record: DeliveryRecord) => boolean): DeliveryRecord[] {
    const out: DeliveryRecord[] = [];
    for (const r of this.deliveries.values()) if (keep(r)) out.push(r);
    return out;
  }

  /** A copy of the stored record: callers never hold the ledger's own objects. */
  get(id: string): DeliveryRecord | undefined {
    const record = this.deliveries.get(id);
    return record ? structuredClone(record) : undefined;
  }
}

export const locationKey = (l: Location): string => JSON.stringify([l.project, l.bucket, l.key]);

/** Newest first, ties by id descending: the order of `query` in every ledger. */
export function newestFirst(a: DeliveryRecord, b: DeliveryRecord): number {
  if (a.updatedAt !== b.updatedAt) return b.updatedAt - a.updatedAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
