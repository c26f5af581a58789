/**
 * What a queue backend whose server holds the real lease (Pub/Sub's ack
 * deadline, SQS's visibility timeout, JetStream's ack wait) keeps in this
 * process about the messages it pulled: until when each is leased, the
 * backend's data for it, and which leases ended.
 *
 * - A lease ends when it is acted on (`end`: ack, nack, dead letter) or when
 *   its time is up. Acting on an ended lease could touch the message's next
 *   delivery to another worker: `live` and `end` leave such ids out, so the
 *   call is a no-op. An id this process never pulled is passed through (any
 *   worker may settle what another pulled).
 * - With `keepAlive`, a lease longer than the server's deadline is renewed
 *   every `everyMs` while it lasts, and handed back (`expire`) when it ends
 *   unsettled, as JetStream's consumer needs.
 * - Ended ids are remembered `forgetAfterMs` (at most `ENDED_MEMORY` of
 *   them); `prune`, called on each pull, forgets older ones and leases ended
 *   that long ago, so a long-running worker's book stays bounded.
 */
export interface LeaseBookOptions {
  keepAlive?: {
    everyMs: number;
    renew(id: string): void;
    expire(id: string): void;
  };
  forgetAfterMs?: number;
  now?: () => number;
}

interface Lease<T> {
  until: number;
  data: T;
  timer?: NodeJS.Timeout;
}

const FORGET_AFTER_MS = 15 * 60_000;
const ENDED_MEMORY = 10_000;

export class LeaseBook<T> {
  private readonly held = new Map<string, Lease<T>>();
  /** Ended ids and when they ended, oldest first. */
  private readonly ended = new Map<string, number>();
  private readonly now: () => number;
  private readonly forgetAfterMs: number;

  constructor(private readonly options: LeaseBookOptions = {}) {
    this.now = options.now ?? Date.now;
    this.forgetAfterMs = options.forgetAfterMs ?? FORGET_AFTER_MS;
  }

  hold(id: string, leaseMs: number, data: T): void {
    const lease: Lease<T> = { until: this.now() + leaseMs, data };
    this.ended.delete(id);
    this.held.set(id, lease);
    this.watch(id, lease);
  }

  /** The data of a lease still running; undefined once it ended or when never held. */
  data(id: string): T | undefined {
    return this.isEnded(id) ? undefined : this.held.get(id)?.data;
  }

  /** The data of every lease still running. */
  active(): T[] {
    const now = this.now();
    return [...this.held.values()].filter((l) => l.until > now).map((l) => l.data);
  }

  /** The ids worth acting on: not empty, not ended, each once. */
  live(ids: string[]): string[] {
    return [...new Set(ids)].filter((id) => id !== '' && !this.isEnded(id));
  }

  /** Renews the live leases among `ids` for `leaseMs` from now; returns the ids worth extending. */
  extend(ids: string[], leaseMs: number): string[] {
    const live = this.live(ids);
    const until = this.now() + leaseMs;
    for (const id of live) {
      const lease = this.held.get(id);
      if (!lease) continue;
      lease.until = until;
      this.watch(id, lease);
    }
    return live;
  }

  /** Ends the leases of `ids` (`each` sees the data of those held); returns the ids worth settling. */
  end(ids: string[], each?: (data: T) => void): string[] {
    const live = this.live(ids);
    for (const id of live) {
      const lease = this.held.get(id);
      if (lease) each?.(lease.data);
      this.markEnded(id);
    }
    return live;
  }

  prune(): void {
    const horizon = this.now() - this.forgetAfterMs;
    for (const [id, lease] of this.held) if (lease.until < horizon) this.drop(id);
    for (const [id, at] of this.ended) {
      if (at >= horizon) break;
      this.ended.delete(id);
    }
  }

  clear(): void {
    for (const lease of this.held.values()) clearTimeout(lease.timer);
    this.held.clear();
    this.ended.clear();
  }

  private isEnded(id: string): boolean {
    if (this.ended.has(id)) return true;
    const lease = this.held.get(id);
    return lease !== undefined && lease.until <= this.now();
  }

  private markEnded(id: string): void {
    this.drop(id);
    this.ended.delete(id);
    this.ended.set(id, this.now());
    if (this.ended.size > ENDED_MEMORY) this.ended.delete(this.ended.keys().next().value as string);
  }

  private drop(id: string): void {
    clearTimeout(this.held.get(id)?.timer);
    this.held.delete(id);
  }

  /** With keepAlive: renews the server's deadline ahead of the lease, and hands the message back when it ends. */
  private watch(id: string, lease: Lease<T>): void {
    const keepAlive = this.options.keepAlive;
    if (!keepAlive) return;
    clearTimeout(lease.timer);
    const every = keepAlive.everyMs;
    const tick = (): void => {
      const remaining = lease.until - this.now();
      if (remaining <= 0) {
        this.markEnded(id);
        keepAlive.expire(id);
        return;
      }
      if (remaining > every) keepAlive.renew(id);
      lease.timer = setTimeout(tick, Math.min(remaining, every)).unref();
    };
    lease.timer = setTimeout(tick, Math.min(lease.until - this.now(), every)).unref();
  }
}
