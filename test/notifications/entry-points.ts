import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Database from 'better-sqlite3';
import { cloudRuntime, handleLambdaEvent, type CloudRuntimeHolder } from '../../src/cloud/handler.js';
import type { ObjectEvent } from '../../src/events/types.js';
import { createLogger } from '../../src/log.js';
import { drain } from '../../src/modes/batch.js';
import { MemoryQueue } from '../../src/queue/memory.js';
import { createPubsubClients } from '../../src/queue/pubsub-clients.js';
import { openSqliteQueue } from '../../src/queue/sqlite.js';
import type { Queue, QueueMessage } from '../../src/queue/types.js';
import { openQueue } from '../../src/queue/url.js';
import { cloudWorkspace } from '../cloud/env.js';
import type { Fauxqs } from '../helpers/fauxqs.js';
import { createPubsubResources, type PubsubEmulator } from '../helpers/pubsub-emulator.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';
import { uniqueName } from '../helpers/services.js';
import type { TestNats } from '../helpers/nats-server.js';
import type { Workspace } from '../helpers/workspace.js';
import { openBed } from '../http/harness.js';
import { TABLE_ROUTES, type FormatRow, type Payload } from './format-table.js';

/** What an entry point made of a notification, as it lets it be seen. */
export interface Observed {
  /** The events it decoded and handed on to be routed. */
  events: Array<Pick<ObjectEvent, 'bucket' | 'key' | 'generation'>>;
  /** Why what it understood is not routed. */
  ignored: string[];
  /** The refusal of what is not a notification: the error's message. */
  invalid?: string;
  /** The formats it names, as the HTTP receiver does (a Cloud Function's may be the Functions Framework's conversion). */
  formats?: string[];
  /** The raw answer, for failure messages. */
  detail: string;
}

export interface EntryPoint {
  /** Its files: the source and destination buckets of TABLE_ROUTES. */
  ws: Workspace;
  deliver(payload: Payload): Promise<Observed>;
  close(): Promise<void>;
}

export interface EntryPointSpec {
  name: string;
  /** Why a format cannot reach this entry point as its sender sends it; undefined when it can. */
  cannot(row: FormatRow): string | undefined;
  open(): Promise<EntryPoint>;
}

const NO_HEADERS = 'carries a body without HTTP headers, which this format needs';
const PULL_ONLY = 'a pulled Pub/Sub message (attributes and data) reaches only a Pub/Sub subscription';

/** The HTTP receiver (`POST /events`), on the test harness. */
export function httpEntryPoint(): EntryPointSpec {
  return {
    name: 'http',
    cannot: (row) => (row.carrier === 'pull' ? PULL_ONLY : undefined),
    async open() {
      const bed = await openBed({ routes: TABLE_ROUTES });
      return {
        ws: bed.ws,
        async deliver(payload) {
          const answer = await bed.post(payload.body, {
            'content-type': 'application/json',
            ...payload.headers,
          });
          const detail = `${answer.status} ${JSON.stringify(answer.json)}`;
          if (answer.status === 400 && answer.json.error?.code === 'E_EVENT_INVALID')
            return { events: [], ignored: [], invalid: answer.json.error.message, detail };
          if (answer.status !== 200) throw new Error(`[test] POST /events answered ${detail}`);
          return { ...fromAnswer(answer.json, detail), formats: answer.json.formats as string[] };
        },
        close: () => bed.close(),
      };
    },
  };
}

/**
 * The cloud entry points' workspace, configured through SWITCHYARD_* in
 * process.env as a deployment is; opened once, shared by the Cloud Function
 * (whose instance reads process.env once) and the Lambda columns.
 */
let cloudWs: Promise<Workspace> | undefined;
const sharedCloudWorkspace = (): Promise<Workspace> => (cloudWs ??= cloudWorkspace(TABLE_ROUTES));

/** The Cloud Function (`switchyardEvent`), served by the Functions Framework as on Cloud Run. */
export function cloudFunctionEntryPoint(): EntryPointSpec {
  return {
    name: 'cloud-function',
    cannot: (row) =>
      row.carrier === 'pull'
        ? PULL_ONLY
        : row.requestHeaders === 'x-goog-pubsub'
          ? 'the Functions Framework hands a CloudEvent function the body only, not the x-goog-pubsub-* and attribute headers of an unwrapped push'
          : undefined,
    async open() {
      const ws = await sharedCloudWorkspace();
      const gcp = await import('../../src/cloud/gcp.js');
      const { getTestServer } = await import('@google-cloud/functions-framework/testing');
      const server: Server = getTestServer(gcp.GCP_ENTRY_POINT);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      return {
        ws,
        async deliver(payload) {
          const headers = { 'content-type': 'application/json', ...payload.headers };
          // SNS posts text/plain unless its subscription's delivery policy sets headerContentType;
          // the Functions Framework fails on a text/plain body before the function runs, so an
          // SNS subscription to a Cloud Function sets application/json
          if (headers['content-type'].startsWith('text/plain')) headers['content-type'] = 'application/json';
          const response = await fetch(url, { method: 'POST', headers, body: payload.body });
          const text = await response.text();
          const detail = `${response.status} ${text}`;
          if (response.status !== 200) throw new Error(`[test] the Cloud Function answered ${detail}`);
          const answer = JSON.parse(text) as Answer;
          if (answer.kind === 'invalid')
            return { events: [], ignored: [], invalid: answer.error?.message, detail };
          return fromAnswer(answer, detail);
        },
        async close() {
          await new Promise((resolve) => server.close(resolve));
          await gcp.closeGcpRuntime();
        },
      };
    },
  };
}

/**
 * The Lambda handler (`handleLambdaEvent`, what `aws.handler` runs) on a
 * runtime of its own, whose sink and logger are watched: AWS keeps a
 * function's answer to SQS records to `batchItemFailures`, so what was
 * decoded is seen on its way to the router, and what was refused in its logs.
 */
export function lambdaEntryPoint(via: 'direct' | 'sqs'): EntryPointSpec {
  return {
    name: via === 'sqs' ? 'lambda-sqs' : 'lambda',
    cannot: (row) =>
      row.carrier === 'pull'
        ? PULL_ONLY
        : row.carrier === 'request'
          ? `Lambda is invoked with a JSON event: it ${NO_HEADERS}`
          : undefined,
    async open() {
      const ws = await sharedCloudWorkspace();
      const holder: CloudRuntimeHolder = cloudRuntime(cloudEnv(ws), ws.dir);
      const runtime = await holder.get();
      const seen: ObjectEvent[] = [];
      const logs: Array<Record<string, unknown>> = [];
      const route = runtime.sink;
      runtime.sink = (event) => {
        seen.push(event);
        return route(event);
      };
      runtime.logger = createLogger({
        level: 'info',
        destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
      });
      return {
        ws,
        async deliver(payload) {
          seen.length = 0;
          logs.length = 0;
          const event =
            via === 'sqs' ? sqsRecords(payload.body) : (payload.lambdaEvent ?? JSON.parse(payload.body));
          const result = await handleLambdaEvent(runtime, event);
          const detail = JSON.stringify({ result, logs });
          if (via === 'sqs' && JSON.stringify(result) !== '{"batchItemFailures":[]}')
            throw new Error(`[test] the Lambda handler asked SQS to retry: ${detail}`);
          const refused = logs.find((l) => l.message === 'not a notification: refused, not retried');
          return {
            events: seen.map(({ bucket, key, generation }) => ({ bucket, key, generation })),
            ignored: logs.filter((l) => l.message === 'notification ignored').map((l) => String(l.reason)),
            ...(refused ? { invalid: String(refused.error) } : {}),
            detail,
          };
        },
        close: () => holder.close(),
      };
    },
  };
}

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

interface Answer {
  kind?: string;
  formats?: string[];
  events?: Array<{ bucket: string; key: string; generation?: string }>;
  ignored?: string[];
  error?: { code: string; message: string };
}

function fromAnswer(answer: Answer, detail: string): Observed {
  return {
    events: (answer.events ?? []).map(({ bucket, key, generation }) => ({ bucket, key, generation })),
    ignored: answer.ignored ?? [],
    detail,
  };
}

function cloudEnv(ws: Workspace): Record<string, string> {
  return {
    SWITCHYARD_CONFIG: path.join(ws.dir, 'switchyard.yaml'),
    SWITCHYARD_ROUTES: path.join(ws.dir, 'routes.csv'),
    SWITCHYARD_DATA: ws.data,
    SWITCHYARD_STATE: path.join(ws.dir, '.switchyard'),
    SWITCHYARD_LOG_LEVEL: 'silent',
  };
}

/** One SQS record of a Lambda event source mapping, carrying the body. */
function sqsRecords(body: string): Record<string, unknown> {
  return {
    Records: [
      {
        messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
        receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...',
        body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1714979299000' },
        messageAttributes: {},
        md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:eu-west-3:123456789012:raw-data-events',
        awsRegion: 'eu-west-3',
      },
    ],
  };
}

async function pullOne(queue: Queue): Promise<QueueMessage> {
  for (let i = 0; i < 30; i += 1) {
    const [message] = await queue.pull(1, 30_000, 200);
    if (message) return message;
  }
  throw new Error(`[test] nothing to pull from ${queue.name}`);
}
