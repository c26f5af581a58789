import type { DeadLetter } from './types.js';

/**
 * Dead letters kept where they cannot be browsed, only received: a Pub/Sub
 * subscription on the dead-letter topic, an SQS dead-letter queue. Listing
 * receives up to `limit` distinct messages (each receive hides them for a
 * while) and hands them back at once, so it is best effort on a busy store.
 * Ids are the dead-letter messages' own ids. A backend says how to receive,
 * hand back, remove and read its messages; browsing is written here once.
 */
export abstract class HeldDeadLetters<M> {
  /** The most messages one `receive` returns. */
  protected abstract readonly batchSize: number;
  /** Receives up to `max` messages without waiting, hiding them from other readers for a while. */
  protected abstract receive(max: number): Promise<M[]>;
  /** Hands received messages back at once. */
  protected abstract release(messages: M[]): Promise<void>;
  /** Deletes received messages for good. */
  protected abstract remove(messages: M[]): Promise<void>;
  protected abstract idOf(message: M): string;
  protected abstract read(message: M): DeadLetter;

  async list(limit: number): Promise<DeadLetter[]> {
    const held = await this.receiveAll(limit);
    await this.release(held);
    return held.map((m) => this.read(m));
  }

  /** Hands the chosen dead letters (all when `ids` is undefined) to `requeue`, then deletes them here. */
  async retry(requeue: (messages: M[]) => Promise<void>, ids?: string[]): Promise<number> {
    const wanted = ids ? new Set(ids) : undefined;
    const held = await this.receiveAll(Number.POSITIVE_INFINITY, wanted);
    const chosen = wanted ? held.filter((m) => wanted.has(this.idOf(m))) : held;
    if (chosen.length > 0) {
      await requeue(chosen);
      await this.remove(chosen);
    }
    await this.release(held.filter((m) => !chosen.includes(m)));
    return chosen.length;
  }

  async purge(): Promise<number> {
    let count = 0;
    for (;;) {
      const batch = await this.receive(this.batchSize);
      if (batch.length === 0) return count;
      await this.remove(batch);
      count += batch.length;
    }
  }

  /** Receives (and holds) up to `limit` distinct messages, or until every wanted id is held. */
  private async receiveAll(limit: number, wanted?: Set<string>): Promise<M[]> {
    const held = new Map<string, M>();
    const found = (): number => [...held.keys()].filter((id) => wanted?.has(id)).length;
    while (held.size < limit && (!wanted || found() < wanted.size)) {
      const batch = await this.receive(Math.min(this.batchSize, limit - held.size));
      const fresh = batch.filter((m) => !held.has(this.idOf(m)));
      if (fresh.length === 0) break;
      for (const m of fresh) held.set(this.idOf(m), m);
    }
    return [...held.values()];
  }
}
