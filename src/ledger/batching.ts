import type {
  ClaimResult,
  DeliveryPlan,
  DeliveryRecord,
  DeliveryState,
  Ledger,
  LedgerStore,
  ReopenReason,
  TransitionItem,
  TransitionPatch,
  WaitingBook,
} from './types.js';
import type { Location } from '../storage/types.js';

type Pending =
  | {
      kind: 'claim' | 'hold';
      plan: DeliveryPlan;
      owner: string;
      leaseMs: number;
      resolve(r: ClaimResult): void;
      reject(e: unknown): void;
    }
  | {
      kind: 'transition';
      item: TransitionItem;
      owner: string;
      resolve(r: boolean): void;
      reject(e: unknown): void;
    };

/**
 * Group commit for a Ledger: claims and transitions issued while the event
 * loop is busy are written together, as one `claimMany` / `transitionMany`
 * per run of same-kind, same-owner calls, in the order they were made. Each
 * caller still gets its own answer. Semantics are those of the wrapped
 * ledger: the batch APIs do exactly what one call per item would.
 */
export class BatchingLedger implements Ledger {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    readonly inner: Ledger,
    private readonly maxBatch = 512,
  ) {}

  /** Waiting groups are written apart from claims and transitions: the wrapped ledger's own. */
  get waiting(): WaitingBook {
    return this.inner.waiting;
  }

  claim(plan: DeliveryPlan, owner: string, leaseMs: number): Promise<ClaimResult> {
    return new Promise((resolve, reject) =>
      this.enqueue({ kind: 'claim', plan, owner, leaseMs, resolve, reject }),
    );
  }

  transition(id: string, owner: string, state: DeliveryState, patch?: TransitionPatch): Promise<boolean> {
    const answer = this.queueTransition(patch ? { id, state, patch } : { id, state }, owner);
    this.schedule();
    return answer;
  }

  /** Ledger.holdMany, queued like claims (the wrapped ledger's holdMany, else its claimMany). */
  holdMany(plans: DeliveryPlan[], owner: string, leaseMs: number): Promise<ClaimResult[]> {
    return Promise.all(
      plans.map(
        (plan) =>
          new Promise<ClaimResult>((resolve, reject) =>
            this.enqueue({ kind: 'hold', plan, owner, leaseMs, resolve, reject }),
          ),
      ),
    );
  }

  claimMany(plans: DeliveryPlan[], owner: string, leaseMs: number): Promise<ClaimResult[]> {
    return Promise.all(plans.map((p) => this.claim(p, owner, leaseMs)));
  }

  /**
   * Queued together, then flushed: the items reach the wrapped ledger in one
   * call, in order (queued one by one, a full batch could flush between two of
   * them, and two flushes may run at once on a ledger that awaits its server).
   */
  transitionMany(items: TransitionItem[], owner: string): Promise<boolean[]> {
    const answers = items.map((item) => this.queueTransition(item, owner));
    this.schedule();
    return Promise.all(answers);
  }

  /** Queues a transition without scheduling a flush: the caller schedules once it has queued all of its own. */
  private queueTransition(item: TransitionItem, owner: string): Promise<boolean> {
    return new Promise((resolve, reject) =>
      this.queue.push({ kind: 'transition', item, owner, resolve, reject }),
    );
  }

  private enqueue(op: Pending): void {
    this.queue.push(op);
    this.schedule();
  }

  private schedule(): void {
    if (this.queue.length >= this.maxBatch) {
      void this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const ops = this.queue;
    this.queue = [];
    let i = 0;
    while (i < ops.length) {
      const first = ops[i] as Pending;
      let j = i + 1;
      while (j < ops.length && sameRun(first, ops[j] as Pending)) j++;
      const run = ops.slice(i, j);
      i = j;
      try {
        if (first.kind !== 'transition') {
          const claims = run as Array<Extract<Pending, { kind: 'claim' | 'hold' }>>;
          const plans = claims.map((c) => c.plan);
          const results =
            first.kind === 'hold' && this.inner.holdMany
              ? await this.inner.holdMany(plans, first.owner, first.leaseMs)
              : await this.inner.claimMany(plans, first.owner, first.leaseMs);
          claims.forEach((c, k) => c.resolve(results[k] as ClaimResult));
        } else {
          const transitions = run as Array<Extract<Pending, { kind: 'transition' }>>;
          const results = await this.inner.transitionMany(
            transitions.map((t) => t.item),
            first.owner,
          );
          transitions.forEach((t, k) => t.resolve(results[k] as boolean));
        }
      } catch (error) {
        for (const op of run) op.reject(error);
      }
    }
  }

  release(id: string, owner: string): Promise<void> {
    return this.inner.release(id, owner);
  }
  reopen(id: string, owner: string, leaseMs: number, reason: ReopenReason): Promise<ClaimResult | undefined> {
    return this.inner.reopen(id, owner, leaseMs, reason);
  }
  get(id: string): Promise<DeliveryRecord | undefined> {
    return this.inner.get(id);
  }
  forGeneration(source: Location, generation: string): Promise<DeliveryRecord[]> {
    return this.inner.forGeneration(source, generation);
  }
  forDestination(destination: Location): Promise<DeliveryRecord[]> {
    return this.inner.forDestination(destination);
  }
  markSourceDeleted(source: Location, generation: string, at: number): Promise<void> {
    return this.inner.markSourceDeleted(source, generation, at);
  }
  recordUnrouted(
    source: Location,
    generation: string,
    size: number,
    at: number,
    reason?: string,
  ): Promise<void> {
    return this.inner.recordUnrouted(source, generation, size, at, reason);
  }
  resolveUnrouted(source: Location, at: number): Promise<void> {
    return this.inner.resolveUnrouted(source, at);
  }
  resolveUnroutedUnseen(
    bucket: { project: string; bucket: string },
    seenBefore: number,
    at: number,
  ): Promise<number> {
    return this.inner.resolveUnroutedUnseen(bucket, seenBefore, at);
  }
  retryDead(ids?: string[]): Promise<number> {
    return this.inner.retryDead(ids);
  }
  makeDue(ids: string[]): Promise<number> {
    return this.inner.makeDue(ids);
  }
  activeOwners(): Promise<string[]> {
    return this.inner.activeOwners?.() ?? Promise.resolve([]);
  }
  releaseOwner(owner: string): Promise<number> {
    return this.inner.releaseOwner?.(owner) ?? Promise.resolve(0);
  }
  /** Writes what is still queued; resolves once nothing is. */
  async drain(): Promise<void> {
    while (this.queue.length > 0) await this.flush();
  }
}

/** The store with its write path group-committed (BatchingLedger); closing writes what is queued first. */
export function batchingStore(store: LedgerStore, maxBatch?: number): LedgerStore {
  const ledger = new BatchingLedger(store.ledger, maxBatch);
  return {
    ledger,
    reports: store.reports,
    async close() {
      await ledger.drain();
      await store.close();
    },
  };
}

function sameRun(a: Pending, b: Pending): boolean {
  if (a.kind !== b.kind || a.owner !== b.owner) return false;
  return a.kind !== 'transition' && b.kind !== 'transition' ? a.leaseMs === b.leaseMs : true;
}
