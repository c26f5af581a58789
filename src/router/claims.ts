import type { ClaimResult, DeliveryPlan, Ledger, ReopenReason } from '../ledger/types.js';

/**
 * Claims in the ledger, remembering the deliveries this process holds: a
 * second claim of one of them in this process answers `busy` without asking
 * the ledger (a concurrent duplicate in the same process is `in-flight`).
 * Whoever gets `claimed` calls `forget` once it is done with the delivery.
 */
export class Claims {
  private readonly holding = new Set<string>();

  constructor(
    private readonly ledger: Ledger,
    private readonly owner: string,
    private readonly leaseMs: number,
    private readonly now: () => number,
  ) {}

  claim(plan: DeliveryPlan): Promise<ClaimResult> {
    return this.exclusive(plan, () => this.ledger.claim(plan, this.owner, this.leaseMs));
  }

  /**
   * Ledger.holdMany under the same discipline (a claim where the ledger has no
   * hold): for a delivery whose destination write refuses to replace.
   */
  hold(plan: DeliveryPlan): Promise<ClaimResult> {
    const ledger = this.ledger;
    return this.exclusive(plan, async () =>
      ledger.holdMany
        ? ((await ledger.holdMany([plan], this.owner, this.leaseMs))[0] as ClaimResult)
        : ledger.claim(plan, this.owner, this.leaseMs),
    );
  }

  /** Ledger.reopen under the same discipline; a delivery the ledger no longer knows answers as a claim. */
  reopen(plan: DeliveryPlan, reason: ReopenReason): Promise<ClaimResult> {
    return this.exclusive(plan, async () => {
      const reopened = await this.ledger.reopen(plan.id, this.owner, this.leaseMs, reason);
      return reopened ?? this.ledger.claim(plan, this.owner, this.leaseMs);
    });
  }

  /** Renews the claim every third of its lease while its delivery runs; the caller clears the timer. */
  renewWhileHeld(plan: DeliveryPlan): NodeJS.Timeout {
    const renew = setInterval(
      () => void this.ledger.claim(plan, this.owner, this.leaseMs).catch(() => undefined),
      this.leaseMs / 3,
    );
    renew.unref();
    return renew;
  }

  forget(id: string): void {
    this.holding.delete(id);
  }

  private async exclusive(plan: DeliveryPlan, ask: () => Promise<ClaimResult>): Promise<ClaimResult> {
    if (this.holding.has(plan.id)) {
      const now = this.now();
      return {
        status: 'busy',
        record: { ...plan, state: 'planned', attempts: 0, createdAt: now, updatedAt: now },
      };
    }
    this.holding.add(plan.id);
    try {
      const claim = await ask();
      if (claim.status !== 'claimed') this.holding.delete(plan.id);
      return claim;
    } catch (error) {
      this.holding.delete(plan.id);
      throw error;
    }
  }
}
