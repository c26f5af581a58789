import type { ObjectEvent } from '../../model/event.js';
import { decodeQueueBody } from '../body-decode.js';
import { encodeEvent } from '../../notifications/queued-event.js';
import {
  createPubsubClients,
  GRPC_DEADLINE_EXCEEDED,
  GRPC_INVALID_ARGUMENT,
  grpcCode,
  isPermanentGrpc,
  messageData,
  timestampMs,
  type PubsubClients,
  type ReceivedMessage,
} from './clients.js';
import { LeaseBook } from '../leases.js';
import { DEAD_ATTRIBUTES, PubsubDeadLetters } from './dead-letters.js';
import { backendCall, queueBackendError, queueUnsupported } from '../queue-errors.js';
import type { DeadLetter, Queue, QueueCapabilities, QueueMessage, QueueStats } from '../types.js';

export interface PubsubQueueOptions {
  /** `projects/P/subscriptions/S`: where notifications are pulled from. */
  subscription: string;
  /** `projects/P/topics/T` to publish to; read from the subscription when absent. */
  topic?: string;
  /** Topic `deadLetter()` publishes to (original data and attributes, plus `switchyard-reason` …). */
  deadLetterTopic?: string;
  /** Subscription on the dead-letter topic: enables list / retry / purge of dead letters. */
  deadLetterSubscription?: string;
  /** `host:port` of the Pub/Sub emulator (plaintext, no credentials). */
  emulatorHost?: string;
}

interface Lease {
  messageId: string;
  data: Uint8Array;
  attributes: Record<string, string>;
  attempts: number;
  enqueuedAt: number;
}

const MAX_DEADLINE_SECONDS = 600;
const COUNTED_IDS = 100_000;

/**
 * A queue on a Google Pub/Sub subscription, by synchronous pull. The message
 * id is the ack id; the lease is the ack deadline (whole seconds, at most 600 s).
 * Bodies are switchyard events or GCS notifications (JSON_API_V1 or NONE):
 * other GCS event types come back with `ignore`, unreadable ones with `malformed`.
 * `attempts` is the server's delivery attempt when the subscription has a
 * dead-letter policy, else counted by this process. Pub/Sub reports no backlog
 * through its API: stats are this process's leases only.
 */
export class PubsubQueue implements Queue {
  readonly name: string;
  readonly capabilities: QueueCapabilities;
  private readonly leases = new LeaseBook<Lease>();
  private readonly deliveries = new Map<string, number>();
  private readonly dead: PubsubDeadLetters | undefined;

  constructor(
    private readonly clients: PubsubClients,
    private readonly options: PubsubQueueOptions & { topic: string },
  ) {
    this.name = `pubsub:${options.subscription}`;
    this.dead = options.deadLetterSubscription
      ? new PubsubDeadLetters(clients, options.deadLetterSubscription)
      : undefined;
    this.capabilities = { exactStats: false, nackDelay: true, deadLetterAdmin: this.dead !== undefined };
  }

  async publish(events: ObjectEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 1_000) {
      const messages = events.slice(i, i + 1_000).map((event) => ({ data: Buffer.from(encodeEvent(event)) }));
      await this.run('publish', () =>
        this.clients.publisher.publish({ topic: this.options.topic, messages }),
      );
    }
  }

  async pull(max: number, leaseMs: number, waitMs = 0): Promise<QueueMessage[]> {
    if (max <= 0) return [];
    this.leases.prune();
    const deadline = Date.now() + waitMs;
    let received: ReceivedMessage[] = [];
    do {
      received = await this.pullOnce(Math.min(max, 1_000), deadline - Date.now());
    } while (received.length === 0 && deadline - Date.now() >= 1_000);
    if (received.length === 0) return [];
    const ackIds = received.map((m) => m.ackId ?? '');
    await this.run('modifyAckDeadline', () =>
      this.clients.subscriber.modifyAckDeadline({
        subscription: this.options.subscription,
        ackIds,
        ackDeadlineSeconds: seconds(leaseMs),
      }),
    );
    return received.map((m) => this.toMessage(m, leaseMs));
  }

  async ack(ids: string[]): Promise<void> {
    const live = this.leases.end(ids, (lease) => this.deliveries.delete(lease.messageId));
    await this.tolerant('acknowledge', live, (ackIds) =>
      this.clients.subscriber.acknowledge({ subscription: this.options.subscription, ackIds }),
    );
  }

  async nack(id: string, delayMs: number): Promise<void> {
    const live = this.leases.end([id]);
    await this.tolerant('modifyAckDeadline', live, (ackIds) =>
      this.clients.subscriber.modifyAckDeadline({
        subscription: this.options.subscription,
        ackIds,
        ackDeadlineSeconds: seconds(delayMs),
      }),
    );
  }

  async extend(ids: string[], leaseMs: number): Promise<void> {
    const live = this.leases.extend(ids, leaseMs);
    await this.tolerant('modifyAckDeadline', live, (ackIds) =>
      this.clients.subscriber.modifyAckDeadline({
        subscription: this.options.subscription,
        ackIds,
        ackDeadlineSeconds: seconds(leaseMs),
      }),
    );
  }

  async deadLetter(id: string, reason: string): Promise<void> {
    const lease = this.leases.data(id);
    if (!lease) return;
    const topic = this.options.deadLetterTopic;
    if (!topic)
      throw queueUnsupported(
        'pubsub',
        this.name,
        'deadLetter needs a dead-letter topic',
        'add ?deadLetterTopic=TOPIC to the queue URL',
      );
    const attributes = {
      ...lease.attributes,
      [DEAD_ATTRIBUTES.reason]: reason.slice(0, 1_000),
      [DEAD_ATTRIBUTES.attempts]: String(lease.attempts),
      [DEAD_ATTRIBUTES.enqueuedAt]: String(lease.enqueuedAt),
      [DEAD_ATTRIBUTES.deadAt]: String(Date.now()),
      [DEAD_ATTRIBUTES.sourceId]: lease.messageId,
    };
    await this.run('publish', () =>
      this.clients.publisher.publish({ topic, messages: [{ data: lease.data, attributes }] }),
    );
    await this.ack([id]);
  }

  async stats(): Promise<QueueStats> {
    const now = Date.now();
    const leased = this.leases.active();
    const stats: QueueStats = { depth: 0, inFlight: leased.length, dead: 0, unmeasured: ['depth', 'dead'] };
    if (leased.length > 0) stats.oldestAgeMs = now - Math.min(...leased.map((l) => l.enqueuedAt));
    return stats;
  }

  async listDeadLetters(limit: number): Promise<DeadLetter[]> {
    const dead = this.requireDead();
    return this.run('listDeadLetters', () => dead.list(limit));
  }

  async retryDeadLetters(ids?: string[]): Promise<number> {
    const dead = this.requireDead();
    const requeue = (messages: ReceivedMessage[]): Promise<void> =>
      dead.publishTo(this.options.topic, messages);
    return this.run('retryDeadLetters', () => dead.retry(requeue, ids));
  }

  async purgeDeadLetters(): Promise<number> {
    const dead = this.requireDead();
    return this.run('purgeDeadLetters', () => dead.purge());
  }

  async close(): Promise<void> {
    this.leases.clear();
    await this.clients.close();
  }

  private async pullOnce(max: number, remainingMs: number): Promise<ReceivedMessage[]> {
    const immediate = remainingMs < 1_000;
    const request = {
      subscription: this.options.subscription,
      maxMessages: max,
      returnImmediately: immediate,
    };
    try {
      const [response] = await this.clients.subscriber.pull(
        request,
        immediate ? {} : { timeout: remainingMs, retry: null },
      );
      return (response.receivedMessages ?? []) as ReceivedMessage[];
    } catch (error) {
      if (grpcCode(error) === GRPC_DEADLINE_EXCEEDED) return [];
      throw queueBackendError('pubsub', 'pull', this.name, error, isPermanentGrpc(error));
    }
  }

  private toMessage(received: ReceivedMessage, leaseMs: number): QueueMessage {
    const id = received.ackId ?? '';
    const messageId = received.message?.messageId ?? id;
    const attributes = received.message?.attributes ?? {};
    const data = messageData(received);
    const counted = (this.deliveries.get(messageId) ?? 0) + 1;
    this.deliveries.set(messageId, counted);
    if (this.deliveries.size > COUNTED_IDS)
      this.deliveries.delete(this.deliveries.keys().next().value as string);
    const attempts =
      received.deliveryAttempt && received.deliveryAttempt > 0 ? received.deliveryAttempt : counted;
    const enqueuedAt = timestampMs(received.message?.publishTime, Date.now());
    this.leases.hold(id, leaseMs, { messageId, data, attributes, attempts, enqueuedAt });
    return { id, ...decodeQueueBody(data, { origin: 'gcs', attributes, messageId }), attempts, enqueuedAt };
  }

  /** Sends one request for all ids; when Pub/Sub refuses an id as invalid, retries one by one and skips the invalid. */
  private async tolerant(
    operation: string,
    ids: string[],
    send: (ackIds: string[]) => Promise<unknown>,
  ): Promise<void> {
    if (ids.length === 0) return;
    try {
      await send(ids);
    } catch (error) {
      if (grpcCode(error) !== GRPC_INVALID_ARGUMENT)
        throw queueBackendError('pubsub', operation, this.name, error, isPermanentGrpc(error));
      if (ids.length === 1) return;
      for (const id of ids) await this.tolerant(operation, [id], send);
    }
  }

  private requireDead(): PubsubDeadLetters {
    if (!this.dead) {
      throw queueUnsupported(
        'pubsub',
        this.name,
        'dead letters cannot be browsed',
        'add ?deadLetterSubscription=SUBSCRIPTION to the queue URL',
      );
    }
    return this.dead;
  }

  private run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return backendCall('pubsub', operation, this.name, fn, isPermanentGrpc);
  }
}

function seconds(ms: number): number {
  return Math.min(MAX_DEADLINE_SECONDS, Math.max(0, Math.ceil(ms / 1_000)));
}

/** Opens the subscription (and reads its topic when the URL gives none). */
export async function openPubsubQueue(options: PubsubQueueOptions): Promise<PubsubQueue> {
  const project = options.subscription.split('/')[1] ?? '';
  const clients = createPubsubClients(project, options.emulatorHost);
  try {
    const [subscription] = await clients.subscriber
      .getSubscription({ subscription: options.subscription })
      .catch((error: unknown) => {
        if (options.topic && grpcCode(error) === 7) return [{ topic: options.topic }];
        throw error;
      });
    const topic = options.topic ?? subscription.topic ?? '';
    return new PubsubQueue(clients, { ...options, topic });
  } catch (error) {
    await clients.close();
    throw queueBackendError(
      'pubsub',
      'open',
      `pubsub://${options.subscription}`,
      error,
      isPermanentGrpc(error),
    );
  }
}
