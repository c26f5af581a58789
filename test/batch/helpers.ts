import path from 'node:path';
import type { ObjectEvent } from '../../src/model/event.js';
import { openSqliteQueue, type SqliteQueue } from '../../src/queue/sqlite/queue.js';
import type { DeadLetter, Queue, QueueMessage, QueueStats } from '../../src/queue/types.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';

export const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,route_id';

export interface BatchFixture extends RouterFixture {
  queue: SqliteQueue;
  /** The queue file the CLI opens by default (`<state>/queue.db`). */
  queuePath: string;
}

/** A router fixture (fs + SQLite, tiny retry delays) plus the default SQLite queue of its state folder. */
export async function batchFixture(
  routesCsv: string,
  options: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number } = {},
): Promise<BatchFixture> {
  const fixture = await routerFixture(routesCsv, options);
  const queuePath = path.join(fixture.ctx.config.stateDir, 'queue.db');
  const queue = await openSqliteQueue(queuePath);
  return {
    ...fixture,
    queue,
    queuePath,
    async close() {
      await queue.close();
      await fixture.close();
    },
  };
}

export interface QueueCall {
  op: 'ack' | 'nack' | 'extend' | 'deadLetter';
  ids: string[];
  delayMs?: number;
  reason?: string;
}

/** A queue that hands out scripted messages once and records what the drain does with them. */
export class ScriptedQueue implements Queue {
  readonly name = 'scripted';
  readonly capabilities = { exactStats: true, nackDelay: true, deadLetterAdmin: false };
  readonly calls: QueueCall[] = [];
  private pending: QueueMessage[];

  constructor(messages: Array<Partial<QueueMessage> & { event: ObjectEvent }>) {
    this.pending = messages.map((m, i) => ({ id: `m${i}`, attempts: 1, enqueuedAt: Date.now(), ...m }));
  }

  async publish(): Promise<void> {}
  async pull(max: number): Promise<QueueMessage[]> {
    return this.pending.splice(0, max);
  }
  async ack(ids: string[]): Promise<void> {
    this.calls.push({ op: 'ack', ids });
  }
  async nack(id: string, delayMs: number): Promise<void> {
    this.calls.push({ op: 'nack', ids: [id], delayMs });
  }
  async extend(ids: string[]): Promise<void> {
    this.calls.push({ op: 'extend', ids });
  }
  async deadLetter(id: string, reason: string): Promise<void> {
    this.calls.push({ op: 'deadLetter', ids: [id], reason });
  }
  async stats(): Promise<QueueStats> {
    return { depth: this.pending.length, inFlight: 0, dead: 0 };
  }
  async listDeadLetters(): Promise<DeadLetter[]> {
    return [];
  }
  async retryDeadLetters(): Promise<number> {
    return 0;
  }
  async purgeDeadLetters(): Promise<number> {
    return 0;
  }
  async close(): Promise<void> {}

  /** What became of each message id: ack, nack, deadLetter. */
  fates(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const call of this.calls) if (call.op !== 'extend') for (const id of call.ids) out[id] = call.op;
    return out;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
