import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { decodeQueueBody } from '../body-decode.js';
import { HeldDeadLetters } from '../held-dead-letters.js';
import type { DeadLetter } from '../types.js';

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
 * queue's redrive policy target). SQS cannot browse: see HeldDeadLetters.
 * Ids are the dead-letter messages' MessageIds.
 */
export class SqsDeadLetters extends HeldDeadLetters<Message> {
  protected readonly batchSize = 10;

  constructor(
    private readonly client: SQSClient,
    readonly queueUrl: string,
  ) {
    super();
  }

  protected async receive(max: number): Promise<Message[]> {
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

  protected async remove(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages
        .slice(i, i + 10)
        .map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle ?? '' }));
      await this.client.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
    }
  }

  protected async release(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages
        .slice(i, i + 10)
        .map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle ?? '', VisibilityTimeout: 0 }));
      await this.client.send(
        new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
      );
    }
  }

  protected idOf(message: Message): string {
    return message.MessageId ?? '';
  }

  protected read(message: Message): DeadLetter {
    return toDeadLetter(message);
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
