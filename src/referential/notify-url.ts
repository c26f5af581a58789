import { PermanentError } from '../model/errors.js';

/**
 * Where a row's `notify` column sends its messages, read from the URL alone
 * (no connection). The four schemes:
 *
 * - `https://HOST[:PORT]/PATH` — one HTTP POST of the message as JSON;
 * - `sqs://HOST[:PORT]/ACCOUNT/QUEUE[?endpoint=URL&region=R]` — one SQS
 *   SendMessage (as the queue URLs of `queue/url.ts`);
 * - `pubsub://projects/PROJECT/topics/TOPIC[?emulator=HOST:PORT]` — one
 *   Pub/Sub publish to the topic;
 * - `nats://[USER:PASS@]HOST[:PORT]/SUBJECT[?token=T]` — one NATS publish on
 *   the subject (dot-separated tokens, no wildcard).
 */
export type NotifyTarget =
  | { scheme: 'https'; url: string }
  | { scheme: 'sqs'; url: string }
  | { scheme: 'pubsub'; project: string; topic: string; emulator?: string }
  | {
      scheme: 'nats';
      servers: string;
      subject: string;
      user?: string;
      pass?: string;
      token?: string;
    };

export const NOTIFY_SCHEMES = ['https', 'sqs', 'pubsub', 'nats'] as const;

/** A notify URL that cannot be read: `E_NOTIFY_URL`, with the URL (password hidden) and what was expected. */
export class NotifyUrlError extends PermanentError {
  constructor(
    url: string,
    readonly expected: string,
  ) {
    super(
      'E_NOTIFY_URL',
      `[switchyard] [notify] invalid notify URL ${JSON.stringify(redactNotifyUrl(url))}: ${expected}`,
      { url: redactNotifyUrl(url) },
    );
    this.name = 'NotifyUrlError';
  }
}

/** What is wrong with a notify URL (what was expected), or undefined when it names a target. */
export function notifyUrlProblem(url: string): string | undefined {
  try {
    parseNotifyUrl(url);
    return undefined;
  } catch (error) {
    if (error instanceof NotifyUrlError) return error.expected;
    throw error;
  }
}

/** Reads a notify URL; throws NotifyUrlError naming it and what was expected. */
export function parseNotifyUrl(url: string): NotifyTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'https':
      return { scheme: 'https', url: httpsUrl(url) };
    case 'sqs':
      return sqsTarget(url);
    case 'pubsub':
      return pubsubTarget(url);
    case 'nats':
      return natsTarget(url);
    default:
      throw new NotifyUrlError(
        url,
        `expected a URL starting with ${NOTIFY_SCHEMES.map((s) => `${s}://`).join(', ')}`,
      );
  }
}

function parsed(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new NotifyUrlError(url, 'not a valid URL');
  }
}

function httpsUrl(url: string): string {
  const u = parsed(url);
  if (!u.hostname) throw new NotifyUrlError(url, 'expected https://HOST/PATH');
  return u.href;
}

function sqsTarget(url: string): NotifyTarget {
  const u = parsed(url);
  if (!u.hostname || !/^\/[^/]+\/[^/]+$/.test(u.pathname))
    throw new NotifyUrlError(url, 'expected sqs://HOST[:PORT]/ACCOUNT/QUEUE');
  knownQuery(url, u.searchParams, ['endpoint', 'region']);
  const endpoint = u.searchParams.get('endpoint');
  if (endpoint !== null && !/^https?:\/\/[^/]/.test(endpoint))
    throw new NotifyUrlError(url, `endpoint=${endpoint}: expected http(s)://HOST[:PORT]`);
  return { scheme: 'sqs', url };
}

function pubsubTarget(url: string): NotifyTarget {
  const [resource = '', search = ''] = url.slice('pubsub://'.length).split('?', 2);
  const match = /^projects\/([^/?#]+)\/topics\/([^/?#]+)$/.exec(resource);
  if (!match) throw new NotifyUrlError(url, 'expected pubsub://projects/PROJECT/topics/TOPIC');
  const params = new URLSearchParams(search);
  knownQuery(url, params, ['emulator']);
  const target: NotifyTarget = { scheme: 'pubsub', project: match[1] as string, topic: resource };
  const emulator = params.get('emulator');
  if (emulator !== null) target.emulator = emulator.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return target;
}

const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function natsTarget(url: string): NotifyTarget {
  const u = parsed(url);
  const subject = decodeURIComponent(u.pathname.replace(/^\/+/, ''));
  if (!u.hostname || !SUBJECT.test(subject))
    throw new NotifyUrlError(
      url,
      `expected nats://HOST[:PORT]/SUBJECT, the subject dot-separated letters, digits, _ and - (no wildcard), got subject ${JSON.stringify(subject)}`,
    );
  knownQuery(url, u.searchParams, ['token']);
  const target: NotifyTarget = { scheme: 'nats', servers: `${u.hostname}:${u.port || '4222'}`, subject };
  if (u.username) {
    target.user = decodeURIComponent(u.username);
    target.pass = decodeURIComponent(u.password);
  }
  const token = u.searchParams.get('token');
  if (token !== null) target.token = token;
  return target;
}

function knownQuery(url: string, params: URLSearchParams, known: string[]): void {
  for (const key of params.keys())
    if (!known.includes(key))
      throw new NotifyUrlError(url, `unknown option ${JSON.stringify(key)}; known: ${known.join(', ')}`);
}

/** The URL with a password or token hidden, for messages and logs. */
export function redactNotifyUrl(url: string): string {
  return url.replace(/\/\/([^/:@]*):[^/@]*@/, '//$1:***@').replace(/([?&]token=)[^&]*/, '$1***');
}
