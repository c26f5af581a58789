import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { cloudRuntime, handleLambdaEvent, type CloudRuntimeHolder } from '../../src/triggers/cloud/handler.js';
import type { ObjectEvent } from '../../src/model/event.js';
import { createLogger } from '../../src/util/log.js';
import { cloudWorkspace } from '../cloud/env.js';
import type { Workspace } from '../helpers/workspace.js';
import { openBed } from '../http/harness.js';
import { TABLE_PROJECTS, TABLE_ROUTES, type FormatRow, type Payload } from './format-table.js';

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

export const NO_HEADERS = 'carries a body without HTTP headers, which this format needs';
export const PULL_ONLY = 'a pulled Pub/Sub message (attributes and data) reaches only a Pub/Sub subscription';

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
const sharedCloudWorkspace = (): Promise<Workspace> =>
  (cloudWs ??= cloudWorkspace(TABLE_ROUTES, TABLE_PROJECTS));

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
      const gcp = await import('../../src/triggers/cloud/gcp.js');
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
