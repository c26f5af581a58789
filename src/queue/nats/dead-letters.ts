import { isUtf8 } from 'node:buffer';
import type { JetStreamClient, JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { decodeQueueBody } from '../body-decode.js';
import type { DeadLetter } from '../types.js';

const FOREIGN = 'unknown (not written by switchyard)';

/** The body fields of a dead record for a message's bytes. */
export function deadBody(data: Uint8Array): Pick<NatsDeadRecord, 'body' | 'bodyBase64'> {
  return isUtf8(data)
    ? { body: Buffer.from(data).toString('utf8') }
    : { body: '', bodyBase64: Buffer.from(data).toString('base64') };
}

/** The original bytes of a dead record. */
function recordBytes(record: NatsDeadRecord): Uint8Array {
  return record.bodyBase64 !== undefined
    ? Buffer.from(record.bodyBase64, 'base64')
    : Buffer.from(record.body, 'utf8');
}

/**
 * What the dead-letter stream `<stream>_DLQ` stores for one message: its
 * original body, verbatim (`bodyBase64` instead when it is not UTF-8 text).
 */
export interface NatsDeadRecord {
  body: string;
  bodyBase64?: string;
  reason: string;
  attempts: number;
  enqueuedAt: number;
  deadAt: number;
}

/** The dead-letter stream of a JetStream queue: list, re-publish, purge. Ids are DLQ stream sequences. */
export class NatsDeadLetters {
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    readonly stream: string,
    readonly subject: string,
    private readonly queueSubject: string,
  ) {}

  async add(record: NatsDeadRecord): Promise<void> {
    await this.js.publish(this.subject, JSON.stringify(record));
  }

  async count(): Promise<number> {
    return (await this.jsm.streams.info(this.stream)).state.messages;
  }

  async list(limit: number): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for await (const stored of this.stored()) {
      if (out.length >= limit) break;
      out.push(toDeadLetter(stored));
    }
    return out;
  }

  async retry(ids?: string[]): Promise<number> {
    const wanted = ids ? new Set(ids) : undefined;
    let count = 0;
    for await (const stored of this.stored()) {
      if (wanted && !wanted.has(String(stored.seq))) continue;
      await this.js.publish(this.queueSubject, recordBytes(readRecord(stored)));
      await this.jsm.streams.deleteMessage(this.stream, stored.seq);
      count += 1;
      if (wanted && count === wanted.size) break;
    }
    return count;
  }

  async purge(): Promise<number> {
    return (await this.jsm.streams.purge(this.stream)).purged;
  }

  private async *stored(): AsyncGenerator<StoredMsg> {
    const { state } = await this.jsm.streams.info(this.stream);
    if (state.messages === 0) return;
    for (let seq = state.first_seq; seq <= state.last_seq; seq += 1) {
      const stored = await this.jsm.streams.getMessage(this.stream, { seq }).catch(() => null);
      if (stored) yield stored;
    }
  }
}

function readRecord(stored: StoredMsg): NatsDeadRecord {
  const text = Buffer.from(stored.data).toString('utf8');
  const at = stored.time.getTime();
  if (!isUtf8(stored.data))
    return { ...deadBody(stored.data), reason: FOREIGN, attempts: 0, enqueuedAt: at, deadAt: at };
  try {
    const value = JSON.parse(text) as Partial<NatsDeadRecord>;
    if (typeof value.body === 'string') {
      return {
        body: value.body,
        ...(typeof value.bodyBase64 === 'string' ? { bodyBase64: value.bodyBase64 } : {}),
        reason: String(value.reason ?? ''),
        attempts: Number(value.attempts ?? 0),
        enqueuedAt: Number(value.enqueuedAt ?? stored.time.getTime()),
        deadAt: Number(value.deadAt ?? stored.time.getTime()),
      };
    }
  } catch {
    // not a record switchyard wrote: keep the bytes as the body
  }
  return {
    body: text,
    reason: FOREIGN,
    attempts: 0,
    enqueuedAt: at,
    deadAt: at,
  };
}

function toDeadLetter(stored: StoredMsg): DeadLetter {
  const record = readRecord(stored);
  const { event, raw } = decodeQueueBody(recordBytes(record), { origin: 'manual' });
  return {
    id: String(stored.seq),
    event,
    ...(raw ? { raw } : {}),
    attempts: record.attempts,
    reason: record.reason,
    enqueuedAt: record.enqueuedAt,
    deadAt: record.deadAt,
  };
}
