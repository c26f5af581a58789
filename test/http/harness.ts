import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Hono } from 'hono';
import { loadConfig } from '../../src/config/load.js';
import { routerSink, type EventSink } from '../../src/intake/sink.js';
import { createAuthenticator, type Authenticator } from '../../src/triggers/http/auth.js';
import type { Metrics } from '../../src/observability/metrics.js';
import { createReceiverApp } from '../../src/triggers/http/receiver.js';
import { startServer, type ServerHandle } from '../../src/triggers/http/server.js';
import { silentLogger } from '../../src/util/log.js';
import { openContext, type Context } from '../../src/runtime/context.js';
import { SEED_CSV, Workspace } from '../helpers/workspace.js';

/**
 * The seed referential, plus a row for the bucket of the shared S3 fixture
 * (`landing-eu`, written by the queue helper) and a bucket two projects share
 * (to prove `POST /events/<project>` and the ambiguous-bucket answer).
 */
export const TEST_ROUTES = `${SEED_CSV}landing,landing-eu,sale.*\\.csv,sales,raw_data,
alpha,shared,\\.csv$,finance,raw_data,from-alpha
beta,shared,\\.csv$,sales,raw_data,from-beta
`;

/** Every bucket folder a file may live in: sources and destinations of TEST_ROUTES. */
export const BUCKET_FOLDERS = [
  'source_bucket/raw_data/',
  'finance/raw_data/',
  'sales/raw_data/',
  'landing/landing-eu/',
  'alpha/shared/',
  'beta/shared/',
];

export const TOKEN = 'test-token-0123456789abcdef';

export interface Bed {
  ws: Workspace;
  ctx: Context;
  app: Hono;
  server: ServerHandle;
  url: string;
  /** POST a body to /events (or /events/<project>) with the test token unless headers say otherwise. */
  post(body: string | object, headers?: Record<string, string>, pathSuffix?: string): Promise<Answer>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown> & {
    error?: { code: string; message: string; details?: Record<string, unknown> };
    events?: EventAnswerJson[];
  };
}

export interface EventAnswerJson {
  bucket: string;
  key: string;
  project?: string;
  outcome: string;
  deliveries?: Array<{ destination: string; state: string }>;
  error?: { code: string };
}

export interface BedOptions {
  /** The referential (default TEST_ROUTES). */
  routes?: string;
  auth?: Authenticator;
  bodyLimit?: number;
  sink?: (ctx: Context) => EventSink;
  metrics?: Metrics;
}

export async function openBed(options: BedOptions = {}): Promise<Bed> {
  const ws = await Workspace.create(options.routes ?? TEST_ROUTES);
  const config = await loadConfig(
    { routes: path.join(ws.dir, 'routes.csv'), data: ws.data, state: path.join(ws.dir, '.switchyard') },
    {},
    ws.dir,
  );
  const ctx = await openContext(config, silentLogger());
  const app = createReceiverApp({
    sink: options.sink ? options.sink(ctx) : routerSink(ctx.router),
    router: ctx.router,
    auth: options.auth ?? createAuthenticator({ token: TOKEN }),
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  const server = await startServer(app, { port: 0, host: '127.0.0.1' });
  return {
    ws,
    ctx,
    app,
    server,
    url: server.url,
    post: (body, headers = {}, pathSuffix = '') => postEvent(server.url, body, headers, pathSuffix),
    async close() {
      await server.close(1000);
      await ctx.close();
      await ws.remove();
    },
  };
}

export async function postEvent(
  url: string,
  body: string | object,
  headers: Record<string, string> = {},
  pathSuffix = '',
): Promise<Answer> {
  const hasAuth = Object.keys(headers).some((h) => h.toLowerCase() === 'authorization');
  const response = await fetch(`${url}/events${pathSuffix}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(hasAuth ? {} : { authorization: `Bearer ${TOKEN}` }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Answer['json'];
  try {
    json = JSON.parse(text) as Answer['json'];
  } catch {
    throw new Error(`answer ${response.status} is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, json };
}

export async function fixture<T = Record<string, unknown>>(name: string): Promise<T> {
  return JSON.parse(await readFile(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8')) as T;
}

/** Every file under `dir`, relative, with `/` separators. */
export async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (current: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(path.join(current, entry.name), rel);
      else out.push(rel);
    }
  };
  await visit(dir, '');
  return out.sort();
}

export const CSV = 'id,amount\n1,42\n';
