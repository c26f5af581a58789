import { decodeQueueBody } from '../body-decode.js';
import { HeldDeadLetters } from '../held-dead-letters.js';
import { messageData, timestampMs, type PubsubClients, type ReceivedMessage } from './clients.js';
import type { DeadLetter } from '../types.js';

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
 * cannot browse: see HeldDeadLetters. Ids are the dead-letter messages' ids.
 */
export class PubsubDeadLetters extends HeldDeadLetters<ReceivedMessage> {
  protected readonly batchSize = 1_000;

  constructor(
    private readonly clients: PubsubClients,
    readonly subscription: string,
  ) {
    super();
  }

  /** Publishes messages' original data and attributes to `topic` (a retry's requeue). */
  async publishTo(topic: string, messages: ReceivedMessage[]): Promise<void> {
    await this.clients.publisher.publish({
      topic,
      messages: messages.map((m) => ({
        data: messageData(m),
        attributes: originalAttributes(m.message?.attributes),
      })),
    });
  }

  protected async receive(max: number): Promise<ReceivedMessage[]> {
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

  protected async remove(messages: ReceivedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.clients.subscriber.acknowledge({
      subscription: this.subscription,
      ackIds: messages.map((m) => m.ackId ?? ''),
    });
  }

  protected async release(messages: ReceivedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.clients.subscriber.modifyAckDeadline({
      subscription: this.subscription,
      ackIds: messages.map((m) => m.ackId ?? ''),
      ackDeadlineSeconds: 0,
    });
  }

  protected idOf(message: ReceivedMessage): string {
    return message.message?.messageId ?? '';
  }

  protected read(message: ReceivedMessage): DeadLetter {
    return toDeadLetter(message);
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
