import { decodeQueueBody } from './body-decode.js';
import { messageData, timestampMs, type PubsubClients, type ReceivedMessage } from './pubsub-clients.js';
import type { DeadLetter } from './types.js';

/** Attributes switchyard adds to a message it dead-letters. */
export const DEAD_ATTRIBUTES = {
  reason: 'switchyard-reason',
  attempts: 'switchyard-attempts',
  enqueuedAt: 'switchyard-enqueued-at',
  deadAt: 'switchyard-dead-at',
  sourceId: 'switchyard-source-message-id',
} as const;

const SERVER_DEAD_SOURCE = 'CloudPubSubDeadLetterSourceSubscription';
const SERVER_DEAD_COUNT = 'CloudPubSubDeadLetterSourceDeliveryCount';
const HOLD_SECONDS = 60;

/**
 * Dead letters read through a subscription on the dead-letter topic (the one
 * switchyard publishes to, or a server-side dead-letter policy's). Pub/Sub
 * cannot browse: listing pulls and hands the messages back, so it is best
 * effort on a busy subscription. Ids are the dead-letter messages' ids.
 */
export class PubsubDeadLetters {
  constructor(
    private readonly clients: PubsubClients,
    readonly subscription: string,
  ) {}

  async list(limit: number): Promise<DeadLetter[]> {
    const held = await this.pullAll(limit);
    await this.release(held);
    return held.map(toDeadLetter);
  }

  /** Re-publishes the chosen dead letters' original data and attributes to `topic`, then acks them. */
  async retry(topic: string, ids?: string[]): Promise<number> {
    const wanted = ids ? new Set(ids) : undefined;
    const held = await this.pullAll(Number.POSITIVE_INFINITY, wanted);
    const chosen = wanted ? held.filter((m) => wanted.has(m.message?.messageId ?? '')) : held;
    if (chosen.length > 0) {
      await this.clients.publisher.publish({
        topic,
        messages: chosen.map((m) => ({
          data: messageData(m),
          attributes: originalAttributes(m.message?.attributes),
        })),
      });
      await this.ack(chosen);
    }
    await this.release(held.filter((m) => !chosen.includes(m)));
    return chosen.length;
  }

  async purge(): Promise<number> {
    let count = 0;
    for (;;) {
      const batch = await this.pullBatch(1_000);
      if (batch.length === 0) return count;
      await this.ack(batch);
      count += batch.length;
    }
  }

  /** Pulls (and holds) up to `limit` distinct messages, or until every wanted id is held. */
  private async pullAll(limit: number, wanted?: Set<string>): Promise<ReceivedMessage[]> {
    const held = new Map<string, ReceivedMessage>();
    const found = (): number => [...held.keys()].filter((id) => wanted?.has(id)).length;
    while (held.size < limit && (!wanted || found() < wanted.size)) {
      const batch = await this.pullBatch(Math.min(1_000, limit - held.size));
      const fresh = batch.filter((m) => !held.has(m.message?.messageId ?? ''));
      if (fresh.length === 0) break;
      for (const m of fresh) held.set(m.message?.messageId ?? '', m);
    }
    return [...held.values()];
  }

  private async pullBatch(max: number): Promise<ReceivedMessage[]> {
    const [response] = await this.clients.subscriber.pull({
      subscription: this.subscription,
      maxMessages: max,
      returnImmediately: true,
    });
    const messages = (response.receivedMessages ?? []) as ReceivedMessage[];
    if (messages.length > 0) {
      await this.clients.subscriber.modifyAckDeadline({
        subscription: this.subscription,
        ackIds: messages.map((m) => m.ackId ?? ''),
        ackDeadlineSeconds: HOLD_SECONDS,
      });
    }
    return messages;
  }

  private async ack(messages: ReceivedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.clients.subscriber.acknowledge({
      subscription: this.subscription,
      ackIds: messages.map((m) => m.ackId ?? ''),
    });
  }

  private async release(messages: ReceivedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.clients.subscriber.modifyAckDeadline({
      subscription: this.subscription,
      ackIds: messages.map((m) => m.ackId ?? ''),
      ackDeadlineSeconds: 0,
    });
  }
}

/** The attributes the message had before it was dead-lettered. */
export function originalAttributes(
  attributes: Record<string, string> | null | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (key.startsWith('switchyard-') || key.startsWith('CloudPubSubDeadLetter') || key.startsWith('goog'))
      continue;
    out[key] = value;
  }
  return out;
}

function toDeadLetter(received: ReceivedMessage): DeadLetter {
  const attributes = received.message?.attributes ?? {};
  const publishedAt = timestampMs(received.message?.publishTime, Date.now());
  const sourceId = attributes[DEAD_ATTRIBUTES.sourceId];
  const { event, raw } = decodeQueueBody(messageData(received), {
    origin: 'gcs',
    attributes: originalAttributes(attributes),
    messageId: sourceId,
  });
  const serverCount = attributes[SERVER_DEAD_COUNT];
  const reason =
    attributes[DEAD_ATTRIBUTES.reason] ??
    (attributes[SERVER_DEAD_SOURCE]
      ? `Pub/Sub dead-letter policy after ${serverCount ?? '?'} delivery attempts`
      : 'unknown');
  return {
    id: received.message?.messageId ?? '',
    event,
    ...(raw ? { raw } : {}),
    attempts: Number(attributes[DEAD_ATTRIBUTES.attempts] ?? serverCount ?? 0) || 0,
    reason,
    enqueuedAt: Number(attributes[DEAD_ATTRIBUTES.enqueuedAt]) || publishedAt,
    deadAt: Number(attributes[DEAD_ATTRIBUTES.deadAt]) || publishedAt,
  };
}
