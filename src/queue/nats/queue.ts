import { AckPolicy, DeliverPolicy, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ConfigInvalidError } from '../../model/errors.js';
import type { ObjectEvent } from '../../model/event.js';
import { decodeQueueBody } from '../body-decode.js';
import { encodeEvent } from '../../notifications/queued-event.js';
import { LeaseBook } from '../leases.js';
import { deadBody, NatsDeadLetters } from './dead-letters.js';
import {
  ACK,
  nakPayload,
  parseAckSubject,
  pullDeliveries,
  sendAck,
  WORKING,
  type NatsDelivery,
} from './pull.js';
import { backendCall, queueBackendError } from '../queue-errors.js';
import type { DeadLetter, Queue, QueueCapabilities, QueueMessage, QueueStats } from '../types.js';

export interface NatsQueueOptions {
  /** `host:port` or `nats://host:port`, comma-separated for a cluster. */
  servers: string;
  /** Stream name; notifications use subject `<stream>.events`, dead letters stream `<stream>_DLQ`. Default `switchyard`. */
  stream?: string;
  /** Durable pull consumer shared by all workers. Default `switchyard`. */
  consumer?: string;
  /** Server-side ack wait: how long a crashed worker's messages stay hidden. Default 15 000 ms. */
  ackWaitMs?: number;
  /** Deliveries after which a message is dead-lettered by the next pull. Default 20. */
  maxDeliver?: number;
  user?: string;
  pass?: string;
  token?: string;
}

const STREAM_NAME = /^[A-Za-z0-9_-]+$/;
const PUBLISH_WINDOW = 500;

/**
 * A queue on a NATS JetStream work-queue stream with one durable pull
 * consumer (explicit ack). A message id is the delivery's ack subject, so any
 * worker can ack what another pulled. Leases shorter or longer than the
 * consumer's ack wait are kept by this process (`+WPI` to extend, `-NAK` when
 * the lease ends); if the process dies the server's ack wait applies.
 * `max_deliver` is enforced here, not by the server, because a server-side
 * limit leaves the message stranded in the stream instead of dead-lettering it.
 */
export class NatsQueue implements Queue {
  readonly name: string;
  readonly capabilities: QueueCapabilities = { exactStats: false, nackDelay: true, deadLetterAdmin: true };
  /** The bytes of each message pulled, while its lease lasts (dead-lettering needs them). */
  private readonly leases: LeaseBook<Uint8Array>;
  private readonly ackPrefix: string;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly consumer: string,
    ackWaitMs: number,
    private readonly maxDeliver: number,
    private readonly dead: NatsDeadLetters,
  ) {
    this.name = `nats:${stream}`;
    this.ackPrefix = `.${stream}.${consumer}.`;
    this.leases = new LeaseBook({
      keepAlive: {
        everyMs: ackWaitMs / 2,
        renew: (id) => void sendAck(nc, id, WORKING).catch(() => undefined),
        expire: (id) => void sendAck(nc, id, nakPayload(0)).catch(() => undefined),
      },
    });
  }

  private get subject(): string {
    return `${this.stream}.events`;
  }

  async publish(events: ObjectEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += PUBLISH_WINDOW) {
      const chunk = events.slice(i, i + PUBLISH_WINDOW);
      await this.run('publish', () =>
        Promise.all(chunk.map((event) => this.js.publish(this.subject, encodeEvent(event)))),
      );
    }
  }

  async pull(max: number, leaseMs: number, waitMs = 0): Promise<QueueMessage[]> {
    if (max <= 0) return [];
    this.leases.prune();
    const deliveries = await this.run('pull', () =>
      pullDeliveries(this.nc, this.stream, this.consumer, max, waitMs),
    );
    const out: QueueMessage[] = [];
    for (const delivery of deliveries) {
      if (delivery.deliveryCount > this.maxDeliver) {
        await this.moveToDeadLetters(
          delivery,
          `delivered ${delivery.deliveryCount} times (maxDeliver ${this.maxDeliver})`,
        );
        continue;
      }
      this.leases.hold(delivery.ackSubject, leaseMs, delivery.data);
      out.push({
        id: delivery.ackSubject,
        ...decodeQueueBody(delivery.data, { origin: 'manual' }),
        attempts: delivery.deliveryCount,
        enqueuedAt: delivery.storedAt,
      });
    }
    return out;
  }

  async ack(ids: string[]): Promise<void> {
    const live = this.leases.end(ids.filter((id) => this.isOurs(id)));
    await this.run('ack', () => Promise.all(live.map((id) => sendAck(this.nc, id, ACK))));
  }

  async nack(id: string, delayMs: number): Promise<void> {
    if (!this.isOurs(id) || this.leases.end([id]).length === 0) return;
    await this.run('nack', () => sendAck(this.nc, id, nakPayload(delayMs)));
  }

  async extend(ids: string[], leaseMs: number): Promise<void> {
    const live = this.leases.extend(
      ids.filter((id) => this.isOurs(id)),
      leaseMs,
    );
    await this.run('extend', () => Promise.all(live.map((id) => sendAck(this.nc, id, WORKING))));
  }

  async deadLetter(id: string, reason: string): Promise<void> {
    const info = this.isOurs(id) ? parseAckSubject(id) : undefined;
    if (!info || this.leases.live([id]).length === 0) return;
    const data =
      this.leases.data(id) ??
      (await this.run('deadLetter', () => this.jsm.streams.getMessage(this.stream, { seq: info.streamSeq })))
        ?.data;
    if (!data) return;
    const delivery: NatsDelivery = {
      ackSubject: id,
      data,
      streamSeq: info.streamSeq,
      deliveryCount: info.deliveryCount,
      storedAt: info.storedAt,
    };
    await this.moveToDeadLetters(delivery, reason);
  }

  async stats(): Promise<QueueStats> {
    return this.run('stats', async () => {
      const [consumer, stream, dead] = await Promise.all([
        this.jsm.consumers.info(this.stream, this.consumer),
        this.jsm.streams.info(this.stream),
        this.dead.count(),
      ]);
      const stats: QueueStats = { depth: consumer.num_pending, inFlight: consumer.num_ack_pending, dead };
      const first = Date.parse(stream.state.first_ts.replace(/(\.\d{3})\d+/, '$1'));
      if (stream.state.messages > 0 && Number.isFinite(first))
        stats.oldestAgeMs = Math.max(0, Date.now() - first);
      return stats;
    });
  }

  listDeadLetters(limit: number): Promise<DeadLetter[]> {
    return this.run('listDeadLetters', () => this.dead.list(limit));
  }

  retryDeadLetters(ids?: string[]): Promise<number> {
    return this.run('retryDeadLetters', () => this.dead.retry(ids));
  }

  purgeDeadLetters(): Promise<number> {
    return this.run('purgeDeadLetters', () => this.dead.purge());
  }

  async close(): Promise<void> {
    this.leases.clear();
    if (!this.nc.isClosed()) await this.nc.close();
  }

  private async moveToDeadLetters(delivery: NatsDelivery, reason: string): Promise<void> {
    this.leases.end([delivery.ackSubject]);
    await this.run('deadLetter', async () => {
      await this.dead.add({
        ...deadBody(delivery.data),
        reason,
        attempts: delivery.deliveryCount,
        enqueuedAt: delivery.storedAt,
        deadAt: Date.now(),
      });
      await sendAck(this.nc, delivery.ackSubject, ACK);
    });
  }

  private isOurs(id: string): boolean {
    return id.startsWith('$JS.ACK.') && id.includes(this.ackPrefix) && parseAckSubject(id) !== undefined;
  }

  private run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return backendCall('nats', operation, this.name, fn);
  }
}

/** Connects, creates the stream, its dead-letter stream and the durable consumer when missing. */
export async function openNatsQueue(options: NatsQueueOptions): Promise<NatsQueue> {
  const stream = options.stream ?? 'switchyard';
  const consumer = options.consumer ?? 'switchyard';
  for (const [field, value] of [
    ['stream', stream],
    ['consumer', consumer],
  ] as const) {
    if (!STREAM_NAME.test(value)) {
      throw new ConfigInvalidError(
        `nats://${options.servers}`,
        `${field} ${JSON.stringify(value)} may only hold letters, digits, _ and -`,
      );
    }
  }
  const ackWaitMs = options.ackWaitMs ?? 15_000;
  const maxDeliver = options.maxDeliver ?? 20;
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({
      servers: options.servers.split(','),
      name: 'switchyard',
      ...(options.user !== undefined ? { user: options.user, pass: options.pass ?? '' } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
    });
    const jsm = await jetstreamManager(nc);
    const dlq = `${stream}_DLQ`;
    await ensureStream(jsm, stream, `${stream}.events`, RetentionPolicy.Workqueue);
    await ensureStream(jsm, dlq, `${dlq}.dead`, RetentionPolicy.Limits);
    await ensureConsumer(jsm, stream, consumer, `${stream}.events`, ackWaitMs);
    const js = jsm.jetstream();
    const dead = new NatsDeadLetters(jsm, js, dlq, `${dlq}.dead`, `${stream}.events`);
    return new NatsQueue(nc, jsm, js, stream, consumer, ackWaitMs, maxDeliver, dead);
  } catch (error) {
    await nc?.close().catch(() => undefined);
    throw queueBackendError('nats', 'open', `nats://${options.servers}/${stream}`, error, false);
  }
}

async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subject: string,
  retention: RetentionPolicy,
): Promise<void> {
  const exists = await jsm.streams.info(name).then(
    () => true,
    (error: unknown) => (isNotFound(error) ? false : Promise.reject(error)),
  );
  if (!exists) await jsm.streams.add({ name, subjects: [subject], retention, storage: StorageType.File });
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  name: string,
  subject: string,
  ackWaitMs: number,
): Promise<void> {
  const ackWait = ackWaitMs * 1_000_000;
  const info = await jsm.consumers
    .info(stream, name)
    .catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
  if (!info) {
    await jsm.consumers.add(stream, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ackWait,
      max_deliver: -1,
      max_ack_pending: -1,
      filter_subject: subject,
    });
  } else if (info.config.ack_wait !== ackWait) {
    await jsm.consumers.update(stream, name, { ack_wait: ackWait });
  }
}

function isNotFound(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /not found/i.test(text);
}
