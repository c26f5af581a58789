import path from 'node:path';
import { ConfigInvalidError } from '../model/errors.js';
import type { NatsQueueOptions } from './nats/queue.js';
import type { PubsubQueueOptions } from './pubsub/queue.js';
import type { SqsQueueOptions } from './sqs/queue.js';
import type { Queue } from './types.js';
import type { RuntimeConfig } from '../config/load.js';

/** The queue a run's configuration names: its `queueUrl`, resolved against its state folder and working folder, with its environment. */
export function openConfiguredQueue(
  config: Pick<RuntimeConfig, 'queueUrl' | 'stateDir' | 'env' | 'cwd'>,
): Promise<Queue> {
  return openQueue(config.queueUrl, { stateDir: config.stateDir, env: config.env, cwd: config.cwd });
}

export interface OpenQueueOptions {
  /** Where the default SQLite queue lives: `<stateDir>/queue.db`. */
  stateDir: string;
  /** Environment for `PUBSUB_EMULATOR_HOST` and AWS credentials / region; never read from process.env here. */
  env?: Record<string, string | undefined>;
  /** Base for relative `sqlite:` paths. Default: the process's working directory. */
  cwd?: string;
}

export type QueueSpec =
  | { kind: 'sqlite'; path: string }
  | { kind: 'nats'; options: NatsQueueOptions }
  | { kind: 'pubsub'; options: PubsubQueueOptions }
  | { kind: 'sqs'; options: SqsQueueOptions };

/**
 * Opens the queue a URL names; each backend's SDK is imported only when used.
 *
 * - `sqlite:PATH` (relative to cwd; `sqlite:` or no URL: `<stateDir>/queue.db`)
 * - `nats://[user:pass@]HOST:PORT/STREAM?ackWait=15s&maxDeliver=20&consumer=NAME&token=T` (stream `switchyard` when empty)
 * - `pubsub://projects/P/subscriptions/S?topic=T&deadLetterTopic=T&deadLetterSubscription=S&emulator=HOST:PORT`
 *   (short names are in project P; `emulator` defaults to `PUBSUB_EMULATOR_HOST`)
 * - `sqs://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE?deadLetter=URL` or
 *   `sqs://HOST:PORT/ACCOUNT/QUEUE?endpoint=http://HOST:PORT&region=R&deadLetter=URL` (local servers)
 */
export async function openQueue(url: string | undefined, options: OpenQueueOptions): Promise<Queue> {
  const spec = parseQueueUrl(url, options);
  switch (spec.kind) {
    case 'sqlite': {
      const { openSqliteQueue } = await import('./sqlite/queue.js');
      return openSqliteQueue(spec.path);
    }
    case 'nats': {
      const { openNatsQueue } = await import('./nats/queue.js');
      return openNatsQueue(spec.options);
    }
    case 'pubsub': {
      const { openPubsubQueue } = await import('./pubsub/queue.js');
      return openPubsubQueue(spec.options);
    }
    case 'sqs': {
      const { openSqsQueue } = await import('./sqs/queue.js');
      return openSqsQueue(spec.options);
    }
  }
}

/** Parses a queue URL without connecting; throws ConfigInvalidError naming the URL (password hidden). */
export function parseQueueUrl(url: string | undefined, options: OpenQueueOptions): QueueSpec {
  const env = options.env ?? {};
  if (url === undefined || url === '' || url === 'sqlite:') {
    return { kind: 'sqlite', path: path.join(options.stateDir, 'queue.db') };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'sqlite': {
      const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
      return { kind: 'sqlite', path: path.resolve(options.cwd ?? process.cwd(), file) };
    }
    case 'nats':
      return { kind: 'nats', options: parseNats(url) };
    case 'pubsub':
      return { kind: 'pubsub', options: parsePubsub(url, env) };
    case 'sqs':
      return { kind: 'sqs', options: parseSqs(url, env) };
    default:
      throw invalid(
        url,
        `unknown queue scheme ${JSON.stringify(scheme ?? '')}; expected sqlite:, nats://, pubsub:// or sqs://`,
      );
  }
}

function parseNats(url: string): NatsQueueOptions {
  const parsed = parseUrl(url);
  const query = readQuery(url, parsed.searchParams, ['ackWait', 'maxDeliver', 'consumer', 'token']);
  const stream = decodeURIComponent(parsed.pathname.replace(/^\/+|\/+$/g, '')) || 'switchyard';
  if (!/^[A-Za-z0-9_-]+$/.test(stream))
    throw invalid(url, `stream name ${JSON.stringify(stream)} may only hold letters, digits, _ and -`);
  if (!parsed.hostname) throw invalid(url, 'expected nats://HOST:PORT/STREAM');
  const options: NatsQueueOptions = { servers: `${parsed.hostname}:${parsed.port || '4222'}`, stream };
  if (parsed.username) {
    options.user = decodeURIComponent(parsed.username);
    options.pass = decodeURIComponent(parsed.password);
  }
  if (query.token !== undefined) options.token = query.token;
  if (query.consumer !== undefined) options.consumer = query.consumer;
  if (query.ackWait !== undefined) options.ackWaitMs = duration(url, 'ackWait', query.ackWait);
  if (query.maxDeliver !== undefined) options.maxDeliver = positiveInt(url, 'maxDeliver', query.maxDeliver);
  return options;
}

function parsePubsub(url: string, env: Record<string, string | undefined>): PubsubQueueOptions {
  const [resource = '', search = ''] = url.slice('pubsub://'.length).split('?', 2);
  const match = /^projects\/([^/]+)\/subscriptions\/([^/]+)$/.exec(resource);
  if (!match) throw invalid(url, 'expected pubsub://projects/PROJECT/subscriptions/SUBSCRIPTION');
  const project = match[1] as string;
  const query = readQuery(url, new URLSearchParams(search), [
    'topic',
    'deadLetterTopic',
    'deadLetterSubscription',
    'emulator',
  ]);
  const options: PubsubQueueOptions = { subscription: resource };
  if (query.topic !== undefined) options.topic = fullName(url, project, 'topics', query.topic);
  if (query.deadLetterTopic !== undefined)
    options.deadLetterTopic = fullName(url, project, 'topics', query.deadLetterTopic);
  if (query.deadLetterSubscription !== undefined) {
    options.deadLetterSubscription = fullName(url, project, 'subscriptions', query.deadLetterSubscription);
  }
  const emulator = query.emulator ?? env.PUBSUB_EMULATOR_HOST;
  if (emulator) options.emulatorHost = emulator.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return options;
}

function fullName(url: string, project: string, kind: 'topics' | 'subscriptions', name: string): string {
  if (new RegExp(`^projects/[^/]+/${kind}/[^/]+$`).test(name)) return name;
  if (/^[^/]+$/.test(name)) return `projects/${project}/${kind}/${name}`;
  throw invalid(
    url,
    `${JSON.stringify(name)} is not a ${kind.slice(0, -1)} name (NAME or projects/P/${kind}/NAME)`,
  );
}

function parseSqs(url: string, env: Record<string, string | undefined>): SqsQueueOptions {
  const parsed = parseUrl(url);
  const query = readQuery(url, parsed.searchParams, ['endpoint', 'region', 'deadLetter']);
  if (!/^\/[^/]+\/[^/]+$/.test(parsed.pathname))
    throw invalid(url, 'expected sqs://HOST[:PORT]/ACCOUNT/QUEUE');
  const aws = /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(parsed.hostname);
  const hostRegion = aws?.[1] ?? /^sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\./.exec(parsed.hostname)?.[1];
  const options: SqsQueueOptions = {
    queueUrl: sqsHttpUrl(parsed),
    region: query.region ?? hostRegion ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
  };
  if (query.endpoint !== undefined) options.endpoint = parseUrl(query.endpoint).origin;
  else if (!aws) options.endpoint = `http://${parsed.host}`;
  if (query.deadLetter !== undefined) {
    const dead = parseUrl(query.deadLetter);
    options.deadLetterUrl = dead.protocol === 'sqs:' ? sqsHttpUrl(dead) : `${dead.origin}${dead.pathname}`;
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    options.credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
    if (env.AWS_SESSION_TOKEN) options.credentials.sessionToken = env.AWS_SESSION_TOKEN;
  } else if (options.endpoint && !/amazonaws\.com/.test(options.endpoint)) {
    options.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  return options;
}

function sqsHttpUrl(parsed: URL): string {
  const https = parsed.hostname.endsWith('.amazonaws.com') || parsed.hostname.endsWith('.amazonaws.com.cn');
  return `${https ? 'https' : 'http'}://${parsed.host}${parsed.pathname}`;
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw invalid(url, 'not a valid URL');
  }
}

function readQuery(
  url: string,
  params: URLSearchParams,
  known: string[],
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of params) {
    if (!known.includes(key))
      throw invalid(url, `unknown option ${JSON.stringify(key)}; known: ${known.join(', ')}`);
    out[key] = value;
  }
  return out;
}

function duration(url: string, name: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw invalid(url, `${name}=${text}: expected a duration such as 1500ms, 15s or 2m`);
  const factor = match[2] === 's' ? 1_000 : match[2] === 'm' ? 60_000 : 1;
  const ms = Math.round(Number(match[1]) * factor);
  if (ms <= 0) throw invalid(url, `${name}=${text}: must be positive`);
  return ms;
}

function positiveInt(url: string, name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw invalid(url, `${name}=${text}: expected a positive integer`);
  return n;
}

function invalid(url: string, message: string): ConfigInvalidError {
  return new ConfigInvalidError(redact(url), message, { url: redact(url) });
}

function redact(url: string): string {
  return url.replace(/\/\/([^/:@]*):[^/@]*@/, '//$1:***@').replace(/([?&]token=)[^&]*/, '$1***');
}
