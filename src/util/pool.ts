/**
 * Runs `worker` over `items` with at most `concurrency` in flight, preserving
 * result order. A worker's rejection rejects the whole run after in-flight
 * work settles; callers that must not stop catch inside the worker.
 */
export async function mapPool<T, R>(
  items: Iterable<T>,
  concurrency: number,
  worker: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const list = Array.from(items);
  const results = new Array<R>(list.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, list.length)) }, async () => {
    while (!failure && next < list.length) {
      const index = next++;
      try {
        results[index] = await worker(list[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(lanes);
  if (failure) throw failure.error;
  return results;
}

/** A counting semaphore for work that arrives over time (events, queue messages). */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly capacity: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.capacity) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiters.shift()?.();
    }
  }

  get inFlight(): number {
    return this.active;
  }
}
