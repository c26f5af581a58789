/**
 * A drain lock's loss, signalled once: `lost` turns true and every callback,
 * registered before or after, runs. What the SQLite and PostgreSQL locks
 * share behind `DrainLock.lost` / `onLost`.
 */
export class LockLoss {
  private isLost = false;
  private readonly callbacks: Array<() => void> = [];

  get lost(): boolean {
    return this.isLost;
  }

  onLost(callback: () => void): void {
    if (this.isLost) callback();
    else this.callbacks.push(callback);
  }

  /** Marks the lock lost and runs the callbacks; a second call does nothing. */
  signal(): void {
    if (this.isLost) return;
    this.isLost = true;
    for (const callback of this.callbacks.splice(0)) callback();
  }
}
