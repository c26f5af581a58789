import { sameLocation } from '../../model/keys.js';
import type { Location } from '../../storage/types.js';
import { MemoryWaitingBook } from './waiting.js';
import { locationKey, newestFirst, type MemoryRecords } from './records.js';
import { applyTransition, canTransition, claimDecision, newRecord, reopenRecord, revive } from '../rules.js';
import type {
  ClaimResult,
  DeliveryPlan,
  DeliveryRecord,
  DeliveryState,
  Ledger,
  ReopenReason,
  TransitionItem,
  TransitionPatch,
} from '../types.js';

const clone = <T>(value: T): T => structuredClone(value);

/** The memory ledger's write path: every rule applied to the records in place (see rules.ts). */
export class MemoryLedger implements Ledger {
  readonly waiting: MemoryWaitingBook;

  constructor(private readonly records: MemoryRecords) {
    this.waiting = new MemoryWaitingBook(records.waiting);
  }

  async claim(plan: DeliveryPlan, owner: string, leaseMs: number): Promise<ClaimResult> {
    return this.claimOne(plan, owner, leaseMs, this.records.now());
  }

  async claimMany(plans: DeliveryPlan[], owner: string, leaseMs: number): Promise<ClaimResult[]> {
    const now = this.records.now();
    return plans.map((plan) => this.claimOne(plan, owner, leaseMs, now));
  }

  async transition(
    id: string,
    owner: string,
    state: DeliveryState,
    patch?: TransitionPatch,
  ): Promise<boolean> {
    return this.transitionOne(id, owner, state, patch, this.records.now());
  }

  async transitionMany(items: TransitionItem[], owner: string): Promise<boolean[]> {
    const now = this.records.now();
    return items.map((item) => this.transitionOne(item.id, owner, item.state, item.patch, now));
  }

  async release(id: string, owner: string): Promise<void> {
    const record = this.records.deliveries.get(id);
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
    const record = this.records.deliveries.get(id);
    if (!record) return undefined;
    const now = this.records.now();
    if (record.state !== 'done') return this.claimOne(record, owner, leaseMs, now);
    const next = reopenRecord(record, owner, leaseMs, reason, now);
    this.records.deliveries.set(id, next);
    return { status: 'claimed', record: clone(next) };
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    return this.records.get(id);
  }

  async forGeneration(source: Location, generation: string): Promise<DeliveryRecord[]> {
    return this.ofGeneration(source, generation)
      .sort((a, b) => (a.routeId < b.routeId ? -1 : a.routeId > b.routeId ? 1 : a.id < b.id ? -1 : 1))
      .map(clone);
  }

  async forDestination(destination: Location): Promise<DeliveryRecord[]> {
    return this.records
      .select((r) => sameLocation(r.destination, destination))
      .sort(newestFirst)
      .map(clone);
  }

  async markSourceDeleted(source: Location, generation: string, at: number): Promise<void> {
    for (const r of this.ofGeneration(source, generation)) r.sourceDeletedAt = at;
  }

  async recordUnrouted(
    source: Location,
    generation: string,
    size: number,
    at: number,
    reason?: string,
  ): Promise<void> {
    const key = locationKey(source);
    const existing = this.records.unrouted.get(key);
    const open = existing && existing.resolvedAt === undefined;
    this.records.unrouted.set(key, {
      source: { project: source.project, bucket: source.bucket, key: source.key },
      generation,
      size,
      firstSeenAt: open ? Math.min(existing.firstSeenAt, at) : at,
      lastSeenAt: open ? Math.max(existing.lastSeenAt, at) : at,
      ...(reason ? { reason } : {}),
    });
  }

  async resolveUnrouted(source: Location, at: number): Promise<void> {
    const existing = this.records.unrouted.get(locationKey(source));
    if (existing && existing.resolvedAt === undefined) existing.resolvedAt = at;
  }

  async resolveUnroutedUnseen(
    where: { project: string; bucket: string },
    seenBefore: number,
    at: number,
  ): Promise<number> {
    let resolved = 0;
    for (const entry of this.records.unrouted.values()) {
      const { project, bucket } = entry.source;
      if (project !== where.project || bucket !== where.bucket) continue;
      if (entry.resolvedAt !== undefined || entry.lastSeenAt >= seenBefore) continue;
      entry.resolvedAt = at;
      resolved++;
    }
    return resolved;
  }

  async retryDead(ids?: string[]): Promise<number> {
    const { deliveries } = this.records;
    const targets = ids ? [...new Set(ids)].map((id) => deliveries.get(id)) : [...deliveries.values()];
    return this.revive(
      targets.filter((r) => r?.state === 'dead'),
      this.records.now(),
    );
  }

  async makeDue(ids: string[]): Promise<number> {
    const now = this.records.now();
    const due = [...new Set(ids)]
      .map((id) => this.records.deliveries.get(id))
      .filter((r) => {
        const leased = r?.claimedBy !== undefined && (r.claimExpiresAt ?? 0) > now;
        return r !== undefined && (r.state === 'dead' || (r.state === 'failed' && !leased));
      });
    return this.revive(due, now);
  }

  async activeOwners(): Promise<string[]> {
    const now = this.records.now();
    const owners = new Set<string>();
    for (const r of this.records.deliveries.values())
      if (r.claimedBy !== undefined && (r.claimExpiresAt ?? 0) > now) owners.add(r.claimedBy);
    return [...owners].sort();
  }

  async releaseOwner(owner: string): Promise<number> {
    let released = 0;
    for (const r of this.records.deliveries.values()) {
      if (r.claimedBy === undefined || (r.claimedBy !== owner && !r.claimedBy.startsWith(`${owner}#`)))
        continue;
      delete r.claimedBy;
      delete r.claimExpiresAt;
      released++;
    }
    return released;
  }

  private claimOne(plan: DeliveryPlan, owner: string, leaseMs: number, now: number): ClaimResult {
    let record = this.records.deliveries.get(plan.id);
    if (!record) {
      record = newRecord(plan, now);
      this.records.deliveries.set(plan.id, record);
      // a file with a delivery is routed: no longer unrouted
      void this.resolveUnrouted(plan.source, now);
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
    const record = this.records.deliveries.get(id);
    if (!record || !canTransition(record, owner)) return false;
    this.records.deliveries.set(id, applyTransition(record, state, patch, now));
    return true;
  }

  private ofGeneration(source: Location, generation: string): DeliveryRecord[] {
    return this.records.select((r) => r.generation === generation && sameLocation(r.source, source));
  }

  /** `retryDead` / `makeDue` applied to the records chosen: failed, due now; returns how many. */
  private revive(records: (DeliveryRecord | undefined)[], now: number): number {
    let changed = 0;
    for (const r of records) {
      if (!r) continue;
      this.records.deliveries.set(r.id, revive(r, now));
      changed++;
    }
    return changed;
  }
}
