import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import type { ObjectEvent } from '../../model/event.js';
import { decodeQueueBody } from '../body-decode.js';
import { encodeEvent } from '../../notifications/queued-event.js';
import { LeaseBook } from '../leases.js';
import { backendCall, queueBackendError, queueUnsupported } from '../queue-errors.js';
import {
  DEAD_ATTRIBUTE,
  originalAttributes,
  sendBatches,
  SqsDeadLetters,
  type SqsDeadInfo,
} from './dead-letters.js';
import type { DeadLetter, Queue, QueueCapabilities, QueueMessage, QueueStats } from '../types.js';
import { crypto } from '../../util/builtins.js';

export interface SqsQueueOptions {
  /** `https://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE` (or a local server's queue URL). */
  queueUrl: string;
  region: string;
  /** Endpoint of a local SQS-compatible server; AWS when absent. */
  endpoint?: string;
  /** Dead-letter queue URL; the queue's redrive policy target when absent. */
  deadLetterUrl?: string;
  /** Explicit credentials; the SDK's default provider chain when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

interface Lease {
  message: Message;
  attempts: number;
  enqueuedAt: number;
}

const MAX_VISIBILITY_SECONDS = 43_200;
const NOOP_ERRORS = /ReceiptHandle|MessageNotInflight|InvalidParameterValue/;

/**
 * A queue on Amazon SQS (or a compatible server). The message id is the
 * receipt handle; the lease is the visibility timeout (whole seconds). Bodies
 * are switchyard events or S3 event notifications, bare or SNS-wrapped: a
 * notification with several records arrives as one message with
 * `extraEvents`; ObjectRemoved and test events come back with `ignore`.
 * Counts are SQS's approximate numbers.
 */
export class SqsQueue implements Queue {
  readonly name: string;
  readonly capabilities: QueueCapabilities;
  private readonly leases = new LeaseBook<Lease>();
  private readonly fifo: boolean;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly dead: SqsDeadLetters | undefined,
  ) {
    this.name = `sqs:${queueUrl}`;
    this.fifo = queueUrl.endsWith('.fifo');
    this.capabilities = { exactStats: false, nackDelay: true, deadLetterAdmin: dead !== undefined };
  }

  async publish(events: ObjectEvent[]): Promise<void> {
    const messages = events.map((event) => ({ body: encodeEvent(event), ...this.fifoIds(event.bucket) }));
    await this.run('SendMessageBatch', () => sendBatches(this.client, this.queueUrl, messages));
  }

  async pull(max: number, leaseMs: number, waitMs = 0): Promise<QueueMessage[]> {
    if (max <= 0) return [];
    this.leases.prune();
    const out: QueueMessage[] = [];
    let wait = Math.min(20, Math.floor(waitMs / 1_000));
    while (out.length < max) {
      const batch = await this.receive(Math.min(10, max - out.length), seconds(leaseMs), wait);
      out.push(...batch.map((m) => this.toMessage(m, leaseMs)));
      if (batch.length === 0) break;
      wait = 0;
    }
    return out;
  }

  async ack(ids: string[]): Promise<void> {
    const live = this.leases.end(ids);
    for (let i = 0; i < live.length; i += 10) {
      const entries = live.slice(i, i + 10).map((handle, j) => ({ Id: String(j), ReceiptHandle: handle }));
      const out = await this.run('DeleteMessageBatch', () =>
        this.client.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries })),
      );
      const failed = (out.Failed ?? []).filter((f) => !NOOP_ERRORS.test(f.Code ?? ''));
      if (failed.length > 0) {
        const detail = failed.map((f) => `${f.Code}: ${f.Message}`).join('; ');
        throw queueBackendError('sqs', 'DeleteMessageBatch', this.name, new Error(detail), false);
      }
    }
  }

  async nack(id: string, delayMs: number): Promise<void> {
    const [handle] = this.leases.end([id]);
    if (!handle) return;
    await this.run('ChangeMessageVisibility', () =>
      this.client
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: this.queueUrl,
            ReceiptHandle: handle,
            VisibilityTimeout: seconds(delayMs),
          }),
        )
        .catch(ignoreNoop),
    );
  }

  async extend(ids: string[], leaseMs: number): Promise<void> {
    const live = this.leases.extend(ids, leaseMs);
    for (let i = 0; i < live.length; i += 10) {
      const entries = live
        .slice(i, i + 10)
        .map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: seconds(leaseMs) }));
      await this.run('ChangeMessageVisibilityBatch', () =>
        this.client
          .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }))
          .catch(ignoreNoop),
      );
    }
  }

  async deadLetter(id: string, reason: string): Promise<void> {
    const lease = this.leases.data(id);
    if (!lease) return;
    if (!this.dead)
      throw queueUnsupported(
        'sqs',
        this.name,
        'deadLetter needs a dead-letter queue',
        'add ?deadLetter=URL to the queue URL or a redrive policy to the queue',
      );
    const info: SqsDeadInfo = {
      reason: reason.slice(0, 1_000),
      attempts: lease.attempts,
      enqueuedAt: lease.enqueuedAt,
      deadAt: Date.now(),
      sourceId: lease.message.MessageId ?? '',
    };
    const attributes: Record<string, MessageAttributeValue> = {
      ...originalAttributes(lease.message),
      [DEAD_ATTRIBUTE]: { DataType: 'String', StringValue: JSON.stringify(info) },
    };
    const deadUrl = this.dead.queueUrl;
    await this.run('SendMessage', () =>
      this.client.send(
        new SendMessageCommand({
          QueueUrl: deadUrl,
          MessageBody: lease.message.Body ?? '',
          MessageAttributes: attributes,
          ...(deadUrl.endsWith('.fifo')
            ? { MessageGroupId: 'dead', MessageDeduplicationId: info.sourceId || crypto().randomUUID() }
            : {}),
        }),
      ),
    );
    await this.ack([id]);
  }

  async stats(): Promise<QueueStats> {
    const names = [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ] as const;
    const read = (url: string): Promise<Partial<Record<string, string>>> =>
      this.run('GetQueueAttributes', () =>
        this.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...names] })),
      ).then((out) => out.Attributes ?? {});
    const [main, dead] = await Promise.all([
      read(this.queueUrl),
      this.dead ? read(this.dead.queueUrl) : undefined,
    ]);
    const n = (value: string | undefined): number => Number(value ?? 0) || 0;
    const stats: QueueStats = {
      depth: n(main.ApproximateNumberOfMessages) + n(main.ApproximateNumberOfMessagesDelayed),
      inFlight: n(main.ApproximateNumberOfMessagesNotVisible),
      dead: dead ? n(dead.ApproximateNumberOfMessages) + n(dead.ApproximateNumberOfMessagesNotVisible) : 0,
      unmeasured: dead ? ['oldestAgeMs'] : ['dead', 'oldestAgeMs'],
    };
    return stats;
  }

  async listDeadLetters(limit: number): Promise<DeadLetter[]> {
    const dead = this.requireDead();
    return this.run('listDeadLetters', () => dead.list(limit));
  }

  async retryDeadLetters(ids?: string[]): Promise<number> {
    const dead = this.requireDead();
    const send = (messages: Message[]): Promise<void> =>
      sendBatches(
        this.client,
        this.queueUrl,
        messages.map((m) => ({
          body: m.Body ?? '',
          attributes: originalAttributes(m),
          ...this.fifoIds('retry'),
        })),
      );
    return this.run('retryDeadLetters', () => dead.retry(send, ids));
  }

  async purgeDeadLetters(): Promise<number> {
    const dead = this.requireDead();
    return this.run('purgeDeadLetters', () => dead.purge());
  }

  async close(): Promise<void> {
    this.leases.clear();
    this.client.destroy();
  }

  private async receive(max: number, visibility: number, wait: number): Promise<Message[]> {
    const out = await this.run('ReceiveMessage', () =>
      this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: wait,
          VisibilityTimeout: visibility,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
      ),
    );
    return out.Messages ?? [];
  }

  private toMessage(message: Message, leaseMs: number): QueueMessage {
    const id = message.ReceiptHandle ?? '';
    const attempts = Number(message.Attributes?.ApproximateReceiveCount) || 1;
    const enqueuedAt = Number(message.Attributes?.SentTimestamp) || Date.now();
    this.leases.hold(id, leaseMs, { message, attempts, enqueuedAt });
    return { id, ...decodeQueueBody(message.Body ?? '', { origin: 's3' }), attempts, enqueuedAt };
  }

  private fifoIds(group: string): { groupId?: string; dedupId?: string } {
    return this.fifo ? { groupId: group, dedupId: crypto().randomUUID() } : {};
  }

  private requireDead(): SqsDeadLetters {
    if (!this.dead) {
      throw queueUnsupported(
        'sqs',
        this.name,
        'dead letters cannot be browsed',
        'add ?deadLetter=URL to the queue URL or a redrive policy to the queue',
      );
    }
    return this.dead;
  }

  private run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return backendCall('sqs', operation, this.name, fn, isPermanentAws);
  }
}

function seconds(ms: number): number {
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(ms / 1_000)));
}

function ignoreNoop(error: unknown): undefined {
  if (NOOP_ERRORS.test(`${(error as Error | null)?.name ?? ''} ${(error as Error | null)?.message ?? ''}`))
    return undefined;
  throw error;
}

/** Client errors (missing queue, denied, invalid request) will not go away by retrying; throttling will. */
function isPermanentAws(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  const status = e?.$metadata?.httpStatusCode ?? 0;
  if (/Throttl|OverLimit|RequestTimeout/.test(e?.name ?? '')) return false;
  return (
    (status >= 400 && status < 500 && status !== 408 && status !== 429) ||
    /NonExistentQueue|QueueDoesNotExist|AccessDenied/.test(e?.name ?? '')
  );
}

/** Opens the queue, checking it exists and finding its dead-letter queue from the redrive policy when not given. */
export async function openSqsQueue(options: SqsQueueOptions): Promise<SqsQueue> {
  const client = new SQSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  try {
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: options.queueUrl, AttributeNames: ['RedrivePolicy'] }),
    );
    const deadUrl = options.deadLetterUrl ?? (await redriveTarget(client, Attributes?.RedrivePolicy));
    return new SqsQueue(client, options.queueUrl, deadUrl ? new SqsDeadLetters(client, deadUrl) : undefined);
  } catch (error) {
    client.destroy();
    throw queueBackendError('sqs', 'open', options.queueUrl, error, isPermanentAws(error));
  }
}

async function redriveTarget(client: SQSClient, policy: string | undefined): Promise<string | undefined> {
  if (!policy) return undefined;
  const arn = (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
  const [, , , , account, name] = arn?.split(':') ?? [];
  if (!name) return undefined;
  const out = await client.send(
    new GetQueueUrlCommand({ QueueName: name, ...(account ? { QueueOwnerAWSAccountId: account } : {}) }),
  );
  return out.QueueUrl;
}
