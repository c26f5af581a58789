import type { DrainLock, LockOptions } from './batch-lock.js';

/**
 * What the SQLite and PostgreSQL drain locks share: who holds the lock and
 * since when, a heartbeat while it is held, its loss signalled once (`lost`
 * turns true, the heartbeat stops, every callback registered before or after
 * runs), and a release that happens once and ends the heartbeat. Each lock
 * says how it beats (renew the row, ping the connection) and lets go.
 */
export abstract class HeldLock implements DrainLock {
  readonly name: string;
  readonly owner: string;
  private isLost = false;
  private released = false;
  private readonly callbacks: Array<() => void> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    options: Pick<LockOptions, 'name' | 'owner'>,
    readonly since: number,
    heartbeatMs: number,
  ) {
    this.name = options.name;
    this.owner = options.owner;
    this.timer = setInterval(() => this.beat(), heartbeatMs);
    this.timer.unref();
  }

  get lost(): boolean {
    return this.isLost;
  }

  onLost(callback: () => void): void {
    if (this.isLost) callback();
    else this.callbacks.push(callback);
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    if (this.released) return;
    this.released = true;
    await this.letGo();
  }

  /** Called every heartbeat while held: keeps the lock, or finds it lost (markLost). */
  protected abstract beat(): void;
  /** Gives the lock up and closes what held it. */
  protected abstract letGo(): Promise<void>;

  /** The lock was taken over or its connection is gone; ignored once released. */
  protected markLost(): void {
    if (this.released || this.isLost) return;
    clearInterval(this.timer);
    this.isLost = true;
    for (const callback of this.callbacks.splice(0)) callback();
  }
}
