// SQS-only behaviour the queue conformance suite cannot express: S3 event
// notifications (bare, several records, SNS-wrapped, the S3 test event)
// arriving as SQS bodies, malformed bodies, and the dead-letter queue found
// from the queue's redrive policy. fauxqs does not emulate S3 → SQS
// notifications, so the bodies are sent as S3 documents them
// (test/fixtures/events/s3-object-created.json).
import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { errorMessage } from '../../src/model/errors.js';
import type { Queue, QueueMessage } from '../../src/queue/types.js';
import { openQueue } from '../../src/queue/url.js';
import { startFauxqs, type Fauxqs } from '../helpers/fauxqs.js';
import { requireService, uniqueName } from '../helpers/services.js';

const s3Event = JSON.parse(
  await readFile(new URL('../fixtures/events/s3-object-created.json', import.meta.url), 'utf8'),
) as {
  Records: Array<{ s3: { object: Record<string, unknown> } }>;
};

const started = await startFauxqs().then(
  (server): Fauxqs | string => server,
  (error: unknown) => errorMessage(error),
);

if (
  requireService(
    'fauxqs (SQS emulator)',
    typeof started !== 'string',
    typeof started === 'string' ? started : '',
  )
) {
  const fauxqs = started as Fauxqs;
  const admin = new SQSClient({
    endpoint: fauxqs.endpoint,
    region: fauxqs.region,
    credentials: fauxqs.credentials,
  });
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  afterAll(async () => {
    admin.destroy();
    await fauxqs.stop();
  });

  const createQueue = async (name: string, attributes?: Record<string, string>): Promise<string> => {
    const { QueueUrl } = await admin.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    cleanups.push(async () => void (await admin.send(new DeleteQueueCommand({ QueueUrl }))));
    return QueueUrl ?? '';
  };
  const open = async (options: { deadLetter?: 'url' | 'redrive' | 'none' } = {}) => {
    const name = uniqueName('sy');
    const deadUrl = await createQueue(`${name}-dlq`);
    const redrive = JSON.stringify({
      deadLetterTargetArn: `arn:aws:sqs:${fauxqs.region}:000000000000:${name}-dlq`,
      maxReceiveCount: '50',
    });
    const mainUrl = await createQueue(
      name,
      options.deadLetter === 'redrive' ? { RedrivePolicy: redrive } : undefined,
    );
    const sqs = (url: string): string => url.replace(/^https?:/, 'sqs:');
    const query = new URLSearchParams({ endpoint: fauxqs.endpoint });
    if ((options.deadLetter ?? 'url') === 'url') query.set('deadLetter', sqs(deadUrl));
    const queue = await openQueue(`${sqs(mainUrl)}?${query.toString()}`, { stateDir: '/nonexistent' });
    cleanups.unshift(() => queue.close());
    const sendBody = (body: string) =>
      admin.send(new SendMessageCommand({ QueueUrl: mainUrl, MessageBody: body }));
    const pullOne = async (): Promise<QueueMessage> => {
      const [message] = await queue.pull(1, 30_000, 2_000);
      if (!message) throw new Error('nothing to pull');
      return message;
    };
    return { queue, sendBody, pullOne };
  };

  const routed = {
    origin: 's3',
    bucket: 'landing-eu',
    key: 'sales/2024/sale fr été +1.csv',
    generation: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
    size: 1024,
  };

  describe('SQS queue: S3 event notifications', () => {
    it('pulls an S3 ObjectCreated notification as the ObjectEvent, key URL-decoded', async () => {
      const { queue, sendBody, pullOne } = await open();
      await sendBody(JSON.stringify(s3Event));
      const message = await pullOne();
      expect(message.event).toEqual({
        ...routed,
        eventTime: '2024-05-06T07:08:09.123Z',
        eventId: '0055AED6DCD90281E5',
      });
      expect(message.extraEvents).toBeUndefined();
      expect(message.attempts).toBe(1);
      await queue.ack([message.id]);
    });

    it('carries the further records of one notification in extraEvents, and unwraps SNS', async () => {
      const { queue, sendBody, pullOne } = await open();
      const [record] = s3Event.Records;
      const second = { ...record, s3: { ...record?.s3, object: { ...record?.s3.object, key: 'b.csv' } } };
      await sendBody(JSON.stringify({ Records: [record, second] }));
      const both = await pullOne();
      expect([both.event.key, ...(both.extraEvents ?? []).map((e) => e.key)]).toEqual([routed.key, 'b.csv']);
      await queue.ack([both.id]);

      const sns = {
        Type: 'Notification',
        MessageId: 'm-1',
        TopicArn: `arn:aws:sns:${fauxqs.region}:000000000000:landing`,
        Message: JSON.stringify(s3Event),
      };
      await sendBody(JSON.stringify(sns));
      const wrapped = await pullOne();
      expect(wrapped.event).toMatchObject(routed);
      await queue.ack([wrapped.id]);
    });

    it('marks the S3 test event `ignore` and an unreadable body `malformed`, which dead-letters and retries verbatim', async () => {
      const { queue, sendBody, pullOne } = await open();
      await sendBody(
        JSON.stringify({
          Service: 'Amazon S3',
          Event: 's3:TestEvent',
          Time: '2024-05-06T07:08:09.123Z',
          Bucket: 'landing-eu',
        }),
      );
      const test = await pullOne();
      expect(test.ignore).toBe('S3 test event for bucket landing-eu');
      await queue.ack([test.id]);

      await sendBody('hello');
      const bad = await pullOne();
      expect(bad.malformed).toMatch(/not JSON/);
      expect(bad.event).toEqual({ origin: 's3', bucket: '', key: '' });
      await queue.deadLetter(bad.id, `E_EVENT_INVALID: ${bad.malformed}`);
      const [dead] = await queue.listDeadLetters(10);
      expect(dead).toMatchObject({ attempts: 1, reason: expect.stringMatching(/^E_EVENT_INVALID/) });
      expect(await queue.retryDeadLetters()).toBe(1);
      const again = await pullOne();
      expect(again.malformed).toMatch(/not JSON/);
      await queue.ack([again.id]);
    });

    it('finds the dead-letter queue from the redrive policy; without one, dead letters are unsupported', async () => {
      const withRedrive = await open({ deadLetter: 'redrive' });
      expect(withRedrive.queue.capabilities.deadLetterAdmin).toBe(true);
      await withRedrive.queue.publish([{ origin: 'manual', bucket: 'b', key: 'k' }]);
      const message = await withRedrive.pullOne();
      await withRedrive.queue.deadLetter(message.id, 'test');
      expect((await withRedrive.queue.listDeadLetters(10)).map((d) => d.reason)).toEqual(['test']);
      expect(await withRedrive.queue.stats()).toMatchObject({
        depth: 0,
        inFlight: 0,
        dead: 1,
        unmeasured: ['oldestAgeMs'],
      });

      const without: Queue = (await open({ deadLetter: 'none' })).queue;
      expect(without.capabilities.deadLetterAdmin).toBe(false);
      await expect(without.listDeadLetters(1)).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
      expect(await without.stats()).toMatchObject({ dead: 0, unmeasured: ['dead', 'oldestAgeMs'] });
    });
  });
}
