// Notify messages to NATS (the machine's server, 127.0.0.1:4222 or
// NATS_HOST) and to Google's Pub/Sub emulator: one message per row with
// `notify` after a drain on local folders. Each service missing skips its
// tests, or fails them under CI=true.
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { drain } from '../../src/drains/batch.js';
import { errorMessage } from '../../src/model/errors.js';
import { createPubsubClients, messageData } from '../../src/queue/pubsub/clients.js';
import { batchFixture, type BatchFixture } from '../batch/helpers.js';
import {
  createPubsubResources,
  startPubsubEmulator,
  type PubsubEmulator,
} from '../helpers/pubsub-emulator.js';
import { probeTcp, requireService, uniqueName } from '../helpers/services.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,write_manifest,notify';

interface Message {
  id: string;
  kind: string;
  route: string;
  files: Array<{ name: string; destination: string }>;
  manifests: string[];
}

/** A drain of one file routed by a row that notifies `url`, with a manifest. */
async function drainOne(url: string): Promise<{ f: BatchFixture; id: string }> {
  const f = await batchFixture(`${HEADER}\nland,in,^a_,lake,raw,daily,move,daily,true,${url}\n`);
  await f.ws.put('land/in/a_1.csv', 'one\n');
  await f.queue.publish([f.event('land/in/a_1.csv')]);
  const report = await drain(f.ctx, f.queue);
  expect(report.signalErrors).toEqual([]);
  expect(report).toMatchObject({ routed: 1, notified: 1, notifyFailures: 0 });
  return { f, id: report.id };
}

function expectMessage(message: Message, id: string): void {
  expect(message).toMatchObject({
    id,
    kind: 'drain',
    route: 'daily',
    files: [expect.objectContaining({ name: 'a_1.csv', destination: 'lake/raw/daily/a_1.csv' })],
    manifests: [`lake/raw/daily/_MANIFEST-${id}.json`],
  });
}

const natsHost = process.env.NATS_HOST ?? '127.0.0.1:4222';
const [host = '127.0.0.1', port = '4222'] = natsHost.split(':');
const natsDown = await probeTcp(host, Number(port));

describe('notify to NATS', () => {
  if (!requireService('NATS', !natsDown, natsDown ?? '')) return;
  let f: BatchFixture | undefined;
  afterEach(async () => f?.close());

  it('publishes one message on the subject of the row', async () => {
    const subject = `switchyard.loads.${uniqueName('t')}`;
    const nc = await connect({ servers: natsHost });
    try {
      const sub = nc.subscribe(subject, { max: 1 });
      await nc.flush();
      const drained = await drainOne(`nats://${natsHost}/${subject}`);
      f = drained.f;
      for await (const m of sub) expectMessage(m.json<Message>(), drained.id);
      expect(sub.getProcessed()).toBe(1);
    } finally {
      await nc.close();
    }
  });
});

const started = await startPubsubEmulator().then(
  (emulator): PubsubEmulator | string => emulator,
  (error: unknown) => errorMessage(error),
);

describe('notify to Pub/Sub (emulator)', () => {
  if (
    !requireService(
      'Pub/Sub emulator',
      typeof started !== 'string',
      typeof started === 'string' ? started : '',
    )
  )
    return;
  const emulator = started as PubsubEmulator;
  let f: BatchFixture | undefined;
  afterEach(async () => f?.close());
  afterAll(() => emulator.stop());

  it('publishes one message to the topic of the row', async () => {
    const resources = await createPubsubResources(emulator.host);
    const project = resources.topic.split('/')[1]!;
    const clients = createPubsubClients(project, emulator.host);
    try {
      const drained = await drainOne(`pubsub://${resources.topic}?emulator=${emulator.host}`);
      f = drained.f;
      const [pulled] = await clients.subscriber.pull({
        subscription: resources.subscription,
        maxMessages: 10,
      });
      const received = pulled.receivedMessages ?? [];
      expect(received).toHaveLength(1);
      expect(received[0]!.message?.attributes).toMatchObject({ 'content-type': 'application/json' });
      expectMessage(
        JSON.parse(Buffer.from(messageData(received[0]!)).toString('utf8')) as Message,
        drained.id,
      );
    } finally {
      await clients.close();
      await resources.remove();
    }
  });
});
