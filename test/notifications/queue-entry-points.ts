import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Database from 'better-sqlite3';
import { drain } from '../../src/drains/batch.js';
import { MemoryQueue } from '../../src/queue/memory/queue.js';
import { createPubsubClients } from '../../src/queue/pubsub/clients.js';
import { openSqliteQueue } from '../../src/queue/sqlite/queue.js';
import type { Queue, QueueMessage } from '../../src/queue/types.js';
import { openQueue } from '../../src/queue/url.js';
import type { Fauxqs } from '../helpers/fauxqs.js';
import type { TestNats } from '../helpers/nats-server.js';
import { createPubsubResources, type PubsubEmulator } from '../helpers/pubsub-emulator.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';
import { uniqueName } from '../helpers/services.js';
import { NO_HEADERS, PULL_ONLY, type EntryPointSpec } from './entry-points.js';
import { TABLE_ROUTES, type FormatRow, type Payload } from './format-table.js';

/** A queue read by the batch drain: what it pulls is decoded, then drained and routed. */
interface QueueColumn {
  queue: Queue;
  /** Publishes the notification as its sender would: body bytes, and attributes on Pub/Sub. */
  publishRaw(payload: Payload): Promise<void>;
  cleanup(): Promise<void>;
}

/** The queue entry points share one workspace and router (each cell routes a file of its own). */
let queueBed: Promise<RouterFixture> | undefined;
let queueBedUsers = 0;

function queueEntryPoint(
  name: string,
  cannot: (row: FormatRow) => string | undefined,
  column: () => Promise<QueueColumn>,
): EntryPointSpec {
  return {
    name,
    cannot,
    async open() {
      queueBed ??= routerFixture(TABLE_ROUTES);
      queueBedUsers += 1;
      const bed = await queueBed;
      const { queue, publishRaw, cleanup } = await column();
      return {
        ws: bed.ws,
        async deliver(payload) {
          await publishRaw(payload);
          const message = await pullOne(queue);
          const detail = JSON.stringify(message);
          if (message.malformed !== undefined) {
            await queue.ack([message.id]);
            return { events: [], ignored: [], invalid: message.malformed, detail };
          }
          if (message.ignore !== undefined) {
            await queue.ack([message.id]);
            return { events: [], ignored: [message.ignore], detail };
          }
          const events = [message.event, ...(message.extraEvents ?? [])];
          await queue.nack(message.id, 0);
          const report = await drain(bed.ctx, queue, { leaseMs: 30_000, recover: false });
          if (report.acked !== 1)
            throw new Error(`[test] the drain did not ack the message: ${JSON.stringify(report)}`);
          return {
            events: events.map(({ bucket, key, generation }) => ({ bucket, key, generation })),
            ignored: [],
            detail,
          };
        },
        async close() {
          await cleanup();
          queueBedUsers -= 1;
          if (queueBedUsers === 0) {
            const closing = queueBed;
            queueBed = undefined;
            await (await closing)?.close();
          }
        },
      };
    },
  };
}

const bodyOnly = (queue: string) => (row: FormatRow) =>
  row.carrier === 'pull'
    ? PULL_ONLY
    : row.carrier === 'request'
      ? `a ${queue} message ${NO_HEADERS}`
      : undefined;

export function memoryEntryPoint(): EntryPointSpec {
  return queueEntryPoint('memory', bodyOnly('memory queue'), async () => {
    const queue = new MemoryQueue();
    return {
      queue,
      publishRaw: async (payload) => queue.publishBodies([Buffer.from(payload.body)]),
      cleanup: () => queue.close(),
    };
  });
}

export function sqliteEntryPoint(): EntryPointSpec {
  return queueEntryPoint('sqlite', bodyOnly('SQLite queue'), async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-formats-'));
    const file = path.join(dir, 'queue.db');
    const queue = await openSqliteQueue(file, { name: 'events' });
    return {
      queue,
      async publishRaw(payload) {
        const db = new Database(file);
        try {
          db.prepare(
            "INSERT INTO messages (queue, event, attempts, enqueued_at, visible_at, state) VALUES ('events', ?, 0, ?, ?, 'ready')",
          ).run(payload.body, Date.now(), Date.now());
        } finally {
          db.close();
        }
      },
      async cleanup() {
        await queue.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
}

export function natsEntryPoint(nats: TestNats): EntryPointSpec {
  return queueEntryPoint('nats', bodyOnly('JetStream'), async () => {
    const url = nats.newQueueUrl('SYF');
    const stream = url.split('/').at(-1) ?? '';
    const queue = await openQueue(url, { stateDir: '/nonexistent' });
    return {
      queue,
      async publishRaw(payload) {
        const nc = await connect({ servers: nats.servers });
        try {
          await (await jetstreamManager(nc)).jetstream().publish(`${stream}.events`, payload.body);
        } finally {
          await nc.close();
        }
      },
      async cleanup() {
        await queue.close();
        await nats.cleanup();
      },
    };
  });
}

export function pubsubEntryPoint(emulator: PubsubEmulator): EntryPointSpec {
  return queueEntryPoint(
    'pubsub',
    (row) =>
      row.carrier === 'request' ? `a pulled Pub/Sub message ${NO_HEADERS} (see the push rows)` : undefined,
    async () => {
      const resources = await createPubsubResources(emulator.host, { deadLetterPolicy: false });
      const queue = await openQueue(resources.url, { stateDir: '/nonexistent' });
      return {
        queue,
        async publishRaw(payload) {
          const clients = createPubsubClients('switchyard-test', emulator.host);
          try {
            await clients.publisher.publish({
              topic: resources.topic,
              messages: [
                {
                  data: Buffer.from(payload.body),
                  ...(payload.attributes ? { attributes: payload.attributes } : {}),
                },
              ],
            });
          } finally {
            await clients.close();
          }
        },
        async cleanup() {
          await queue.close();
          await resources.remove();
        },
      };
    },
  );
}

export function sqsEntryPoint(fauxqs: Fauxqs): EntryPointSpec {
  return queueEntryPoint('sqs', bodyOnly('SQS'), async () => {
    const admin = new SQSClient({
      endpoint: fauxqs.endpoint,
      region: fauxqs.region,
      credentials: fauxqs.credentials,
    });
    const { QueueUrl } = await admin.send(new CreateQueueCommand({ QueueName: uniqueName('syf') }));
    const url = `${(QueueUrl ?? '').replace(/^https?:/, 'sqs:')}?endpoint=${encodeURIComponent(fauxqs.endpoint)}`;
    const queue = await openQueue(url, { stateDir: '/nonexistent', env: {} });
    return {
      queue,
      async publishRaw(payload) {
        await admin.send(new SendMessageCommand({ QueueUrl, MessageBody: payload.body }));
      },
      async cleanup() {
        await queue.close();
        await admin.send(new DeleteQueueCommand({ QueueUrl }));
        admin.destroy();
      },
    };
  });
}

async function pullOne(queue: Queue): Promise<QueueMessage> {
  for (let i = 0; i < 30; i += 1) {
    const [message] = await queue.pull(1, 30_000, 200);
    if (message) return message;
  }
  throw new Error(`[test] nothing to pull from ${queue.name}`);
}
