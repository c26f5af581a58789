import type { Location } from '../storage/types.js';
import { applyTransition, claimDecision, newRecord } from './rules.js';
import type { ClaimResult, DeliveryPlan, DeliveryRecord, DeliveryState, TransitionPatch } from './types.js';

/**
 * Deliveries `Ledger.holdMany` granted in this process that are not written yet:
 * the claim lives here, in memory, and the record reaches the ledger once,
 * at its first transition to a state other than `written` (see Ledger.holdMany).
 * A process that dies with holds leaves nothing behind: what it wrote at the
 * destination is judged there by the next attempt.
 */
export class HeldDeliveries {
  private readonly held = new Map<string, DeliveryRecord>();

  has(id: string): boolean {
    return this.held.has(id);
  }

  get(id: string): DeliveryRecord | undefined {
    const record = this.held.get(id);
    return record && { ...record };
  }

  /** A new hold of a delivery the ledger has no record of. */
  take(plan: DeliveryPlan, owner: string, leaseMs: number, now: number): ClaimResult {
    const record = newRecord(plan, now);
    record.claimedBy = owner;
    record.claimExpiresAt = now + leaseMs;
    this.held.set(plan.id, record);
    return { status: 'claimed', record: { ...record } };
  }

  /** `claim` of a held delivery: renewed for its holder, `busy` for anyone else. */
  claim(id: string, owner: string, leaseMs: number, now: number): ClaimResult {
    const record = this.held.get(id) as DeliveryRecord;
    const status = claimDecision(record, owner, now);
    if (status === 'claimed') {
      record.claimedBy = owner;
      record.claimExpiresAt = now + leaseMs;
    }
    return { status, record: { ...record } };
  }

  /**
   * `transition` of a held delivery by its holder: the record after it, and
   * whether it must now be written (and leaves this book). Undefined when
   * `owner` does not hold it.
   */
  advance(
    id: string,
    owner: string,
    state: DeliveryState,
    patch: TransitionPatch | undefined,
    now: number,
  ): { record: DeliveryRecord; write: boolean } | undefined {
    const record = this.held.get(id);
    if (!record || record.claimedBy !== owner) return undefined;
    const next = applyTransition(record, state, patch, now);
    if (state === 'written') {
      this.held.set(id, next);
      return { record: next, write: false };
    }
    this.held.delete(id);
    return { record: next, write: true };
  }

  /** Ends `owner`'s hold; true when there was one (nothing is written). */
  release(id: string, owner: string): boolean {
    const record = this.held.get(id);
    if (!record || record.claimedBy !== owner) return false;
    this.held.delete(id);
    return true;
  }

  forGeneration(source: Location, generation: string): DeliveryRecord[] {
    const found: DeliveryRecord[] = [];
    for (const record of this.held.values()) {
      const s = record.source;
      if (
        record.generation === generation &&
        s.key === source.key &&
        s.bucket === source.bucket &&
        s.project === source.project
      )
        found.push({ ...record });
    }
    return found;
  }
}
