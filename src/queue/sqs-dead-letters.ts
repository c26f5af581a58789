import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { decodeQueueBody } from './body-decode.js';
import type { DeadLetter } from './types.js';

/** The one message attribute switchyard adds when it dead-letters (SQS allows only 10 per message). */
export const DEAD_ATTRIBUTE = 'switchyard-dead';

export interface SqsDeadInfo {
  reason: string;
  attempts: number;
  enqueuedAt: number;
  deadAt: number;
  sourceId: string;
}

const HOLD_SECONDS = 60;

/**
 * The dead-letter queue of an SQS queue (the URL's `deadLetter`, or the
 * queue's redrive policy target). SQS cannot browse: listing receives and
 * hands the messages back (visibility 0), so it is best effort on a busy
 * queue. Ids are the dead-letter messages' MessageIds.
 */
export class SqsDeadLetters {
  constructor(
    private readonly client: SQSClient,
    readonly queueUrl: string,
  ) {}

  async list(limit: number): Promise<DeadLetter[]> {
    const held = await this.receiveAll(limit);
    await this.release(held);
    return held.map(toDeadLetter);
  }

  /** Hands the chosen dead letters to `send` (which re-queues them), then deletes them here. */
  async retry(send: (messages: Message[]) => Promise<void>, ids?: string[]): Promise<number> {
    const wanted = ids ? new Set(ids) : undefined;
    const held = await this.receiveAll(Number.POSITIVE_INFINITY, wanted);
    const chosen = wanted ? held.filter((m) => wanted.has(m.MessageId ?? '')) : held;
    if (chosen.length > 0) {
      await send(chosen);
      await this.delete(chosen);
    }
    await this.release(held.filter((m) => !chosen.includes(m)));
    return chosen.length;
  }

  async purge(): Promise<number> {
    let count = 0;
    for (;;) {
      const batch = await this.receive(10);
      if (batch.length === 0) return count;
      await this.delete(batch);
      count += batch.length;
    }
  }

  private async receiveAll(limit: number, wanted?: Set<string>): Promise<Message[]> {
    const held = new Map<string, Message>();
    const found = (): number => [...held.keys()].filter((id) => wanted?.has(id)).length;
    while (held.size < limit && (!wanted || found() < wanted.size)) {
      const fresh = (await this.receive(Math.min(10, limit - held.size))).filter(
        (m) => !held.has(m.MessageId ?? ''),
      );
      if (fresh.length === 0) break;
      for (const m of fresh) held.set(m.MessageId ?? '', m);
    }
    return [...held.values()];
  }

  private async receive(max: number): Promise<Message[]> {
    const out = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: 0,
        VisibilityTimeout: HOLD_SECONDS,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        MessageAttributeNames: ['All'],
      }),
    );
    return out.Messages ?? [];
  }

  private async delete(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages
        .slice(i, i + 10)
        .map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle ?? '' }));
      await this.client.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
    }
  }

  private async release(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages
        .slice(i, i + 10)
        .map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle ?? '', VisibilityTimeout: 0 }));
      await this.client.send(
        new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
      );
    }
  }
}

/** Sends messages (body and attributes) to a queue in batches of 10; throws when any entry failed. */
export async function sendBatches(
  client: SQSClient,
  queueUrl: string,
  messages: Array<{
    body: string;
    attributes?: Record<string, MessageAttributeValue>;
    groupId?: string;
    dedupId?: string;
  }>,
): Promise<void> {
  const batches: Array<Promise<void>> = [];
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages.slice(i, i + 10).map((m, j) => ({
      Id: String(j),
      MessageBody: m.body,
      ...(m.attributes && Object.keys(m.attributes).length > 0 ? { MessageAttributes: m.attributes } : {}),
      ...(m.groupId ? { MessageGroupId: m.groupId, MessageDeduplicationId: m.dedupId } : {}),
    }));
    batches.push(
      client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })).then((out) => {
        const failed = out.Failed ?? [];
        if (failed.length > 0) {
          throw new Error(
            `${failed.length} of ${entries.length} messages refused: ${failed.map((f) => `${f.Code}: ${f.Message}`).join('; ')}`,
          );
        }
      }),
    );
  }
  await Promise.all(batches);
}

/** The message attributes a message had before switchyard dead-lettered it. */
export function originalAttributes(message: Message): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [key, value] of Object.entries(message.MessageAttributes ?? {}))
    if (key !== DEAD_ATTRIBUTE) out[key] = value;
  return out;
}

function readDeadInfo(message: Message): Partial<SqsDeadInfo> {
  const text = message.MessageAttributes?.[DEAD_ATTRIBUTE]?.StringValue;
  if (!text) return {};
  try {
    return JSON.parse(text) as Partial<SqsDeadInfo>;
  } catch {
    return {};
  }
}

function toDeadLetter(message: Message): DeadLetter {
  const info = readDeadInfo(message);
  const sentAt = Number(message.Attributes?.SentTimestamp) || Date.now();
  const { event, raw } = decodeQueueBody(message.Body ?? '', { origin: 's3' });
  return {
    id: message.MessageId ?? '',
    event,
    ...(raw ? { raw } : {}),
    attempts: Number(info.attempts) || 0,
    reason: info.reason ?? 'moved by the queue redrive policy (maxReceiveCount)',
    enqueuedAt: Number(info.enqueuedAt) || sentAt,
    deadAt: Number(info.deadAt) || sentAt,
  };
}
