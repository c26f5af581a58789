import type { Location } from '../storage/types.js';
import {
  applyTransition,
  asciiLower,
  canTransition,
  claimDecision,
  decodeCursor,
  encodeCursor,
  newRecord,
  pageSize,
  reopenRecord,
  revive,
  sortFlows,
} from './rules.js';
import type {
  ClaimResult,
  DeliveryPage,
  DeliveryPlan,
  DeliveryQuery,
  DeliveryRecord,
  DeliveryState,
  FlowStat,
  Ledger,
  LedgerCounts,
  ReopenReason,
  RouteStat,
  TransitionItem,
  TransitionPatch,
  UnroutedRecord,
} from './types.js';
import { zeroStateCounts } from './types.js';
import { sameLocation } from '../storage/keys.js';

export interface MemoryLedgerOptions {
  now?: () => number;
}

const locationKey = (l: Location): string => JSON.stringify([l.project, l.bucket, l.key]);
const clone = <T>(value: T): T => structuredClone(value);

/** Newest first, ties by id descending: the order of `query` in every ledger. */
function newestFirst(a: DeliveryRecord, b: DeliveryRecord): number {
  if (a.updatedAt !== b.updatedAt) return b.updatedAt - a.updatedAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** A Ledger kept in process memory: one process only, gone on exit (unit tests, dry runs). */
export class MemoryLedger implements Ledger {
  private readonly deliveries = new Map<string, DeliveryRecord>();
  private readonly unrouted = new Map<string, UnroutedRecord>();
  private readonly now: () => number;

  constructor(options: MemoryLedgerOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async claim(plan: DeliveryPlan, owner: string, leaseMs: number): Promise<ClaimResult> {
    return this.claimOne(plan, owner, leaseMs, this.now());
  }

  async claimMany(plans: DeliveryPlan[], owner: string, leaseMs: number): Promise<ClaimResult[]> {
    const now = this.now();
    return plans.map((plan) => this.claimOne(plan, owner, leaseMs, now));
  }

  async transition(
    id: string,
    owner: string,
    state: DeliveryState,
    patch?: TransitionPatch,
  ): Promise<boolean> {
    return this.transitionOne(id, owner, state, patch, this.now());
  }

  async transitionMany(items: TransitionItem[], owner: string): Promise<boolean[]> {
    const now = this.now();
    return items.map((item) => this.transitionOne(item.id, owner, item.state, item.patch, now));
  }

  async release(id: string, owner: string): Promise<void> {
    const record = this.deliveries.get(id);
    if (record?.claimedBy !== owner) return;
    delete record.claimedBy;
    delete record.claimExpiresAt;
  }

  async reopen(
    id: string,
    owner: string,
    leaseMs: number,
    reason: ReopenReason,
  ): Promise<ClaimResult | undefined> {
    const record = this.deliveries.get(id);
    if (!record) return undefined;
    const now = this.now();
    if (record.state !== 'done') return this.claimOne(record, owner, leaseMs, now);
    const next = reopenRecord(record, owner, leaseMs, reason, now);
    this.deliveries.set(id, next);
    return { status: 'claimed', record: clone(next) };
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const record = this.deliveries.get(id);
    return record ? clone(record) : undefined;
  }

  async forGeneration(source: Location, generation: string): Promise<DeliveryRecord[]> {
    return this.select((r) => r.generation === generation && sameLocation(r.source, source))
      .sort((a, b) => (a.routeId < b.routeId ? -1 : a.routeId > b.routeId ? 1 : a.id < b.id ? -1 : 1))
      .map(clone);
  }

  async forDestination(destination: Location): Promise<DeliveryRecord[]> {
    return this.select((r) => sameLocation(r.destination, destination))
      .sort(newestFirst)
      .map(clone);
  }

  async markSourceDeleted(source: Location, generation: string, at: number): Promise<void> {
    for (const r of this.select((r) => r.generation === generation && sameLocation(r.source, source)))
      r.sourceDeletedAt = at;
  }

  async recordUnrouted(source: Location, generation: string, size: number, at: number): Promise<void> {
    const key = locationKey(source);
    const existing = this.unrouted.get(key);
    const open = existing && existing.resolvedAt === undefined;
    this.unrouted.set(key, {
      source: { project: source.project, bucket: source.bucket, key: source.key },
      generation,
      size,
      firstSeenAt: open ? Math.min(existing.firstSeenAt, at) : at,
      lastSeenAt: open ? Math.max(existing.lastSeenAt, at) : at,
    });
  }

  async resolveUnrouted(source: Location, at: number): Promise<void> {
    const existing = this.unrouted.get(locationKey(source));
    if (existing && existing.resolvedAt === undefined) existing.resolvedAt = at;
  }

  async listUnrouted(limit: number, offset = 0): Promise<UnroutedRecord[]> {
    const keyOf = (u: UnroutedRecord): string =>
      `${u.source.project}\u0000${u.source.bucket}\u0000${u.source.key}`;
    return [...this.unrouted.values()]
      .filter((u) => u.resolvedAt === undefined)
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt || (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0))
      .slice(Math.max(0, offset), Math.max(0, offset) + Math.max(0, limit))
      .map(clone);
  }

  async query(query: DeliveryQuery): Promise<DeliveryPage> {
    const states = query.states ? new Set(query.states) : undefined;
    const needle = query.search ? asciiLower(query.search) : undefined;
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const limit = pageSize(query.limit);
    let range = this.select(
      (r) =>
        (!states || states.has(r.state)) &&
        (query.routeId === undefined || r.routeId === query.routeId) &&
        (query.sinceMs === undefined || r.updatedAt >= query.sinceMs) &&
        (!after || r.updatedAt < after.updatedAt || (r.updatedAt === after.updatedAt && r.id < after.id)),
    ).sort(newestFirst);
    const scan =
      needle && query.scanLimit !== undefined ? Math.max(1, Math.floor(query.scanLimit)) : undefined;
    const boundary = scan !== undefined ? range[scan - 1] : undefined;
    if (scan !== undefined) range = range.slice(0, scan);
    const matches = needle
      ? range.filter(
          (r) => asciiLower(r.source.key).includes(needle) || asciiLower(r.destination.key).includes(needle),
        )
      : range;
    const items = matches.slice(0, limit).map(clone);
    const last = items[items.length - 1];
    if (matches.length > limit && last) return { items, nextCursor: encodeCursor(last.updatedAt, last.id) };
    return boundary ? { items, nextCursor: encodeCursor(boundary.updatedAt, boundary.id) } : { items };
  }

  async counts(): Promise<LedgerCounts> {
    const byState = zeroStateCounts();
    for (const r of this.deliveries.values()) byState[r.state] += 1;
    const open = [...this.unrouted.values()].filter((u) => u.resolvedAt === undefined);
    const counts: LedgerCounts = { byState, unrouted: open.length };
    if (open.length) counts.oldestUnroutedAt = Math.min(...open.map((u) => u.firstSeenAt));
    return counts;
  }

  async routeStats(sinceMs?: number): Promise<RouteStat[]> {
    const stats = new Map<string, RouteStat>();
    for (const r of this.deliveries.values()) {
      if (sinceMs !== undefined && r.updatedAt < sinceMs) continue;
      let stat = stats.get(r.routeId);
      if (!stat) {
        stat = { routeId: r.routeId, deliveries: 0, done: 0, failed: 0, dead: 0, bytes: 0 };
        stats.set(r.routeId, stat);
      }
      stat.deliveries += 1;
      if (r.state === 'done') {
        stat.done += 1;
        stat.bytes += r.size;
      }
      if (r.state === 'failed') stat.failed += 1;
      if (r.state === 'dead') stat.dead += 1;
      stat.lastAt = Math.max(stat.lastAt ?? r.updatedAt, r.updatedAt);
    }
    return [...stats.values()].sort((a, b) => (a.routeId < b.routeId ? -1 : a.routeId > b.routeId ? 1 : 0));
  }

  async flows(sinceMs?: number): Promise<FlowStat[]> {
    const flows = new Map<string, FlowStat>();
    for (const r of this.deliveries.values()) {
      if (r.state !== 'done' || (sinceMs !== undefined && r.updatedAt < sinceMs)) continue;
      const key = JSON.stringify([
        r.source.project,
        r.source.bucket,
        r.destination.project,
        r.destination.bucket,
      ]);
      const flow = flows.get(key) ?? {
        sourceProject: r.source.project,
        sourceBucket: r.source.bucket,
        destinationProject: r.destination.project,
        destinationBucket: r.destination.bucket,
        files: 0,
        bytes: 0,
      };
      flow.files += 1;
      flow.bytes += r.size;
      flows.set(key, flow);
    }
    return sortFlows([...flows.values()]);
  }

  async retryDead(ids?: string[]): Promise<number> {
    const now = this.now();
    const targets = ids
      ? [...new Set(ids)].map((id) => this.deliveries.get(id))
      : [...this.deliveries.values()];
    let changed = 0;
    for (const r of targets) {
      if (r?.state !== 'dead') continue;
      this.deliveries.set(r.id, revive(r, now));
      changed++;
    }
    return changed;
  }

  async makeDue(ids: string[]): Promise<number> {
    const now = this.now();
    let changed = 0;
    for (const id of new Set(ids)) {
      const r = this.deliveries.get(id);
      const leased = r?.claimedBy !== undefined && (r.claimExpiresAt ?? 0) > now;
      if (!r || !(r.state === 'dead' || (r.state === 'failed' && !leased))) continue;
      this.deliveries.set(r.id, revive(r, now));
      changed++;
    }
    return changed;
  }

  async activeOwners(): Promise<string[]> {
    const now = this.now();
    const owners = new Set<string>();
    for (const r of this.deliveries.values())
      if (r.claimedBy !== undefined && (r.claimExpiresAt ?? 0) > now) owners.add(r.claimedBy);
    return [...owners].sort();
  }

  async releaseOwner(owner: string): Promise<number> {
    let released = 0;
    for (const r of this.deliveries.values()) {
      if (r.claimedBy === undefined || (r.claimedBy !== owner && !r.claimedBy.startsWith(`${owner}#`)))
        continue;
      delete r.claimedBy;
      delete r.claimExpiresAt;
      released++;
    }
    return released;
  }

  async close(): Promise<void> {}

  private claimOne(plan: DeliveryPlan, owner: string, leaseMs: number, now: number): ClaimResult {
    let record = this.deliveries.get(plan.id);
    if (!record) {
      record = newRecord(plan, now);
      this.deliveries.set(plan.id, record);
    }
    const status = claimDecision(record, owner, now);
    if (status === 'claimed') {
      record.claimedBy = owner;
      record.claimExpiresAt = now + leaseMs;
    }
    return { status, record: clone(record) };
  }

  private transitionOne(
    id: string,
    owner: string,
    state: DeliveryState,
    patch: TransitionPatch | undefined,
    now: number,
  ): boolean {
    const record = this.deliveries.get(id);
    if (!record || !canTransition(record, owner)) return false;
    this.deliveries.set(id, applyTransition(record, state, patch, now));
    return true;
  }

  private select(keep: (record: DeliveryRecord) => boolean): DeliveryRecord[] {
    const out: DeliveryRecord[] = [];
    for (const r of this.deliveries.values()) if (keep(r)) out.push(r);
    return out;
  }
}
