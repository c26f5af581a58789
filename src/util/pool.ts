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
  const results: R[] = [];
  await forEachPool(items, concurrency, async (item, index) => {
    results[index] = await worker(item, index);
  });
  return results;
}

/**
 * Runs `worker` over the items as `items` yields them, with at most
 * `concurrency` in flight: an async source (a listing, page by page) is read
 * only as fast as the workers take from it, so it is never held whole. A
 * worker's rejection, or the source's, stops taking new items and rejects
 * the run once the ones in flight have settled.
 */
export async function forEachPool<T>(
  items: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  worker: (item: T, index: number) => Promise<void>,
): Promise<void> {
  const source =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]();
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (!failure) {
      let step: IteratorResult<T>;
      try {
        step = await source.next();
      } catch (error) {
        failure ??= { error };
        return;
      }
      if (step.done || failure) return;
      const index = next++;
      try {
        await worker(step.value, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  if (failure) {
    await source.return?.();
    throw failure.error;
  }
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

/** Hands values on in index order, whatever order they arrive in. */
export class InOrder<T> {
  private next = 0;
  private readonly early = new Map<number, T>();

  constructor(private readonly take: (value: T) => void) {}

  put(index: number, value: T): void {
    this.early.set(index, value);
    while (this.early.has(this.next)) {
      const ready = this.early.get(this.next) as T;
      this.early.delete(this.next++);
      this.take(ready);
    }
  }
}
