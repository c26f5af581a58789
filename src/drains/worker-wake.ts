/** Wake-ups for the worker's loop: something settled, or the worker is stopping. */
export class Wake {
  private waiters: Array<() => void> = [];

  /** Wakes every waiter. */
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves at the next notify(). */
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Waits `ms`, or less when `stopping()` turns true (checked at each notify). */
  async sleep(ms: number, stopping: () => boolean): Promise<void> {
    if (ms <= 0 || stopping()) return;
    await new Promise<void>((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      const check = (): void => {
        if (finished) return;
        if (stopping()) finish();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }
}
