// Pub/Sub-only behaviour the queue conformance suite cannot express: real GCS
// notifications (attributes + JSON_API_V1 data) arriving on the subscription,
// ignored and malformed messages, dead letters keeping the original
// attributes, attempts counted without a dead-letter policy, and what a
// queue URL without dead-letter options can and cannot do.
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { errorMessage } from '../../src/model/errors.js';
import { createPubsubClients } from '../../src/queue/pubsub/clients.js';
import type { Queue, QueueMessage } from '../../src/queue/types.js';
import { openQueue } from '../../src/queue/url.js';
import {
  createPubsubResources,
  startPubsubEmulator,
  type PubsubEmulator,
  type PubsubTestResources,
} from '../helpers/pubsub-emulator.js';
import { requireService } from '../helpers/services.js';

const { message: notification } = JSON.parse(
  await readFile(new URL('../fixtures/events/gcs-pubsub-object-finalize.json', import.meta.url), 'utf8'),
) as { message: { attributes: Record<string, string>; data: string } };

const started = await startPubsubEmulator().then(
  (emulator): PubsubEmulator | string => emulator,
  (error: unknown) => errorMessage(error),
);

if (
  requireService('Pub/Sub emulator', typeof started !== 'string', typeof started === 'string' ? started : '')
) {
  const emulator = started as PubsubEmulator;
  const opened: Array<{ queue: Queue; resources: PubsubTestResources }> = [];
  afterEach(async () => {
    for (const { queue, resources } of opened.splice(0)) {
      await queue.close();
      await resources.remove();
    }
  });
  afterAll(() => emulator.stop());

  const open = async (
    options: { deadLetterPolicy?: boolean; url?: (r: PubsubTestResources) => string } = {},
  ) => {
    const resources = await createPubsubResources(emulator.host, {
      deadLetterPolicy: options.deadLetterPolicy ?? false,
    });
    const queue = await openQueue(options.url?.(resources) ?? resources.url, { stateDir: '/nonexistent' });
    opened.push({ queue, resources });
    const publishRaw = async (data: Buffer, attributes: Record<string, string> = {}): Promise<string> => {
      const clients = createPubsubClients('switchyard-test', emulator.host);
      try {
        const [out] = await clients.publisher.publish({
          topic: resources.topic,
          messages: [{ data, attributes }],
        });
        return out.messageIds?.[0] ?? '';
      } finally {
        await clients.close();
      }
    };
    const pullOne = async (): Promise<QueueMessage> => {
      for (let i = 0; i < 20; i += 1) {
        const [message] = await queue.pull(1, 30_000, 200);
        if (message) return message;
      }
      throw new Error('nothing to pull');
    };
    return { queue, resources, publishRaw, pullOne };
  };

  describe('Pub/Sub queue: GCS notifications', () => {
    it('pulls an OBJECT_FINALIZE notification as the ObjectEvent, its message id as eventId', async () => {
      const { queue, publishRaw, pullOne } = await open();
      const messageId = await publishRaw(Buffer.from(notification.data, 'base64'), notification.attributes);
      const message = await pullOne();
      expect(message.event).toEqual({
        origin: 'gcs',
        bucket: 'landing-eu',
        key: 'sales/2024/sale fr.csv',
        generation: '1714979289123456',
        size: 1024,
        crc32c: 'AAAAAA==',
        md5: '1B2M2Y8AsgTpgAmY7PhCfg==',
        eventTime: '2024-05-06T07:08:09.120Z',
        eventId: messageId,
      });
      expect(message.ignore).toBeUndefined();
      expect(message.malformed).toBeUndefined();
      await queue.ack([message.id]);
    });

    it('marks other GCS event types `ignore` and unreadable messages `malformed`', async () => {
      const { queue, publishRaw, pullOne } = await open();
      await publishRaw(Buffer.from(notification.data, 'base64'), {
        ...notification.attributes,
        eventType: 'OBJECT_DELETE',
      });
      const deleted = await pullOne();
      expect(deleted.ignore).toBe('GCS event type OBJECT_DELETE is not routed');
      expect(deleted.event.key).toBe('sales/2024/sale fr.csv');
      await queue.ack([deleted.id]);

      await publishRaw(Buffer.from('{"bucket": 1}'));
      const bad = await pullOne();
      expect(bad.malformed).toMatch(/field `bucket`/);
      expect(bad.event).toEqual({ origin: 'gcs', bucket: '', key: '' });
      await queue.ack([bad.id]);
    });

    it('dead-letters a malformed notification with its attributes, and a retry republishes it unchanged', async () => {
      const { queue, publishRaw, pullOne } = await open({ deadLetterPolicy: true });
      await publishRaw(Buffer.from('{not json'), notification.attributes);
      const bad = await pullOne();
      expect(bad.malformed).toMatch(/not JSON/);
      await queue.deadLetter(bad.id, `E_EVENT_INVALID: ${bad.malformed}`);
      const [dead] = await queue.listDeadLetters(10);
      expect(dead).toMatchObject({ attempts: 1, reason: expect.stringMatching(/^E_EVENT_INVALID/) });
      expect(await queue.retryDeadLetters([dead?.id as string])).toBe(1);
      const again = await pullOne();
      expect(again.malformed).toMatch(/GCS notification data is not JSON/);
      expect(again.attempts).toBe(1);
      await queue.ack([again.id]);
    });

    it('counts attempts itself when the subscription has no dead-letter policy', async () => {
      const { queue, publishRaw, pullOne } = await open({ deadLetterPolicy: false });
      await publishRaw(Buffer.from(notification.data, 'base64'), notification.attributes);
      const first = await pullOne();
      await queue.nack(first.id, 0);
      const second = await pullOne();
      expect([first.attempts, second.attempts]).toEqual([1, 2]);
      await queue.ack([second.id]);
    });

    it('without dead-letter options: the topic is read from the subscription; dead letters are unsupported', async () => {
      const { queue, pullOne } = await open({
        url: (r) => `pubsub://${r.subscription}?emulator=${emulator.host}`,
      });
      expect(queue.capabilities.deadLetterAdmin).toBe(false);
      await queue.publish([{ origin: 'manual', bucket: 'b', key: 'k' }]);
      const message = await pullOne();
      expect(message.event).toEqual({ origin: 'manual', bucket: 'b', key: 'k' });
      await expect(queue.deadLetter(message.id, 'x')).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
      await expect(queue.listDeadLetters(1)).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
      await queue.ack([message.id]);
      expect(await queue.stats()).toMatchObject({ inFlight: 0, unmeasured: ['depth', 'dead'] });
    });
  });
}
