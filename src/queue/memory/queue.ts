import { crypto } from '../../util/builtins.js';
import type { ObjectEvent } from '../../model/event.js';
import { decodeQueueBody } from '../body-decode.js';
import { encodeEvent } from '../../notifications/queued-event.js';
import type { DeadLetter, Queue, QueueCapabilities, QueueMessage, QueueStats } from '../types.js';

export interface MemoryQueueOptions {
  name?: string;
  pollMs?: number;
  now?: () => number;
}

interface Entry {
  rowid: number;
  body: string | Uint8Array;
  attempts: number;
  enqueuedAt: number;
  visibleAt: number;
  state: 'ready' | 'leased' | 'dead';
  token?: string;
  deadReason?: string;
  deadAt?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A Queue in process memory with the SQLite queue's semantics: one process, gone on exit (unit tests). */
export class MemoryQueue implements Queue {
  readonly name: string;
  readonly capabilities: QueueCapabilities = { exactStats: true, nackDelay: true, deadLetterAdmin: true };
  private readonly entries = new Map<number, Entry>();
  private readonly now: () => number;
  private readonly pollMs: number;
  private nextRowid = 1;
  private closed = false;

  constructor(options: MemoryQueueOptions = {}) {
    this.name = options.name ?? 'default';
    this.now = options.now ?? Date.now;
    this.pollMs = options.pollMs ?? 50;
  }

  async publish(events: ObjectEvent[]): Promise<void> {
    this.publishBodies(events.map(encodeEvent));
  }

  /**
   * Queues message bodies as another producer wrote them, byte for byte
   * (a body need not be an event: the drain dead-letters what it cannot read).
   */
  publishBodies(bodies: Array<string | Uint8Array>): void {
    const now = this.now();
    for (const body of bodies) {
      const rowid = this.nextRowid++;
      this.entries.set(rowid, {
        rowid,
        body,
        attempts: 0,
        enqueuedAt: now,
        visibleAt: now,
        state: 'ready',
      });
    }
  }

  async pull(max: number, leaseMs: number, waitMs = 0): Promise<QueueMessage[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (this.closed) return [];
      const messages = this.pullNow(max, leaseMs);
      const left = deadline - Date.now();
      if (messages.length > 0 || left <= 0) return messages;
      await sleep(Math.min(this.pollMs, left));
    }
  }

  async ack(ids: string[]): Promise<void> {
    for (const id of ids) {
      const entry = this.leased(id);
      if (entry) this.entries.delete(entry.rowid);
    }
  }

  async nack(id: string, delayMs: number): Promise<void> {
    const entry = this.leased(id);
    if (!entry) return;
    entry.state = 'ready';
    entry.visibleAt = this.now() + Math.max(0, delayMs);
    delete entry.token;
  }

  async extend(ids: string[], leaseMs: number): Promise<void> {
    const until = this.now() + leaseMs;
    for (const id of ids) {
      const entry = this.leased(id);
      if (entry) entry.visibleAt = until;
    }
  }

  async deadLetter(id: string, reason: string): Promise<void> {
    const entry = this.leased(id);
    if (!entry) return;
    entry.state = 'dead';
    entry.deadReason = reason;
    entry.deadAt = this.now();
    delete entry.token;
  }

  async stats(): Promise<QueueStats> {
    const now = this.now();
    const stats: QueueStats = { depth: 0, inFlight: 0, dead: 0 };
    let oldest: number | undefined;
    for (const e of this.entries.values()) {
      if (e.state === 'dead') {
        stats.dead++;
        continue;
      }
      if (e.state === 'leased' && e.visibleAt > now) stats.inFlight++;
      else stats.depth++;
      oldest = Math.min(oldest ?? e.enqueuedAt, e.enqueuedAt);
    }
    if (oldest !== undefined) stats.oldestAgeMs = Math.max(0, now - oldest);
    return stats;
  }

  async listDeadLetters(limit: number): Promise<DeadLetter[]> {
    return [...this.entries.values()]
      .filter((e) => e.state === 'dead')
      .slice(0, Math.max(0, limit))
      .map((e) => {
        const { event, raw } = decodeQueueBody(e.body, { origin: 'manual' });
        return {
          id: String(e.rowid),
          event,
          ...(raw ? { raw } : {}),
          attempts: e.attempts,
          reason: e.deadReason ?? '',
          enqueuedAt: e.enqueuedAt,
          deadAt: e.deadAt ?? 0,
        };
      });
  }

  async retryDeadLetters(ids?: string[]): Promise<number> {
    const now = this.now();
    const wanted = ids ? new Set(ids.map((id) => Number(/^(\d+)(?::|$)/.exec(id)?.[1]))) : undefined;
    let changed = 0;
    for (const e of this.entries.values()) {
      if (e.state !== 'dead' || (wanted && !wanted.has(e.rowid))) continue;
      e.state = 'ready';
      e.attempts = 0;
      e.visibleAt = now;
      delete e.deadReason;
      delete e.deadAt;
      changed++;
    }
    return changed;
  }

  async purgeDeadLetters(): Promise<number> {
    let purged = 0;
    for (const e of [...this.entries.values()]) {
      if (e.state !== 'dead') continue;
      this.entries.delete(e.rowid);
      purged++;
    }
    return purged;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private pullNow(max: number, leaseMs: number): QueueMessage[] {
    const limit = Math.floor(max);
    if (limit <= 0) return [];
    const now = this.now();
    const visible = [...this.entries.values()]
      .filter((e) => e.state !== 'dead' && e.visibleAt <= now)
      .sort(
        (a, b) =>
          (a.state === b.state ? 0 : a.state === 'leased' ? -1 : 1) ||
          a.visibleAt - b.visibleAt ||
          a.rowid - b.rowid,
      )
      .slice(0, limit);
    const token = crypto().randomBytes(8).toString('hex');
    return visible.map((e) => {
      e.state = 'leased';
      e.token = token;
      e.visibleAt = now + leaseMs;
      e.attempts++;
      return {
        id: `${e.rowid}:${token}`,
        ...decodeQueueBody(e.body, { origin: 'manual' }),
        attempts: e.attempts,
        enqueuedAt: e.enqueuedAt,
      };
    });
  }

  private leased(id: string): Entry | undefined {
    const match = /^(\d+):([0-9a-f]+)$/.exec(id);
    if (!match) return undefined;
    const entry = this.entries.get(Number(match[1]));
    return entry?.state === 'leased' && entry.token === match[2] ? entry : undefined;
  }
}
