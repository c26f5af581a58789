import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, probeTcp, requireService, uniqueName } from './services.js';

/** `nats-server` from NATS_SERVER_BIN, /usr/sbin, /usr/local/bin or /usr/bin; undefined when none is installed. */
export function natsServerBinary(): string | undefined {
  const candidates = [
    process.env.NATS_SERVER_BIN,
    '/usr/sbin/nats-server',
    '/usr/local/bin/nats-server',
    '/usr/bin/nats-server',
  ];
  return candidates.find((c): c is string => Boolean(c) && existsSync(c as string));
}

/**
 * Whether `startPrivateNats` can work here; call at the top level of a test
 * file (`requireService`'s rule: skipped with a reason, or a failure under CI=true).
 */
export function privateNatsAvailable(): boolean {
  return requireService(
    'private NATS (nats-server -js)',
    natsServerBinary() !== undefined,
    'nats-server is not installed (apt-get install nats-server)',
  );
}

export interface PrivateNats {
  /** `nats://127.0.0.1:PORT` (append `/STREAM` for a queue URL). */
  url: string;
  port: number;
  /** Stops the server (SIGTERM, waits for it to exit); the JetStream store is kept. */
  shutdown(): Promise<void>;
  /** Starts it again on the same port and store folder. */
  start(): Promise<void>;
  /** `shutdown` then `start`: JetStream state persists. */
  restart(): Promise<void>;
  /** Stops the server and deletes its store. */
  stop(): Promise<void>;
}

/**
 * A throwaway JetStream server (`nats-server -js -sd DIR -a 127.0.0.1 -p PORT`)
 * on a free port with its own file store, for tests that restart the broker —
 * never the machine's shared one. Resolves once JetStream answers.
 */
export async function startPrivateNats(): Promise<PrivateNats> {
  const binary = natsServerBinary();
  if (!binary) throw new Error('[switchyard] [test] nats-server is not installed');
  const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-nats-'));
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let log = '';

  const start = async (): Promise<void> => {
    if (child) return;
    const proc = spawn(binary, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4_000);
    });
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    child = proc;
    await waitReady(url, () => (child === proc ? undefined : `nats-server exited: ${log}`));
  };
  const shutdown = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    child = undefined;
  };
  try {
    await start();
  } catch (error) {
    await shutdown();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    start,
    shutdown,
    async restart() {
      await shutdown();
      await start();
    },
    async stop() {
      await shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(url: string, failed: () => string | undefined, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not tried';
  while (Date.now() < deadline) {
    const failure = failed();
    if (failure) throw new Error(`[switchyard] [test] ${failure}`);
    try {
      const nc = await connect({ servers: url.replace('nats://', ''), reconnect: false, timeout: 1_000 });
      try {
        await (await jetstreamManager(nc)).getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`[switchyard] [test] nats-server at ${url} not ready within ${timeoutMs} ms: ${last}`);
}

export interface TestNats {
  /** `host:port` of the shared server. */
  servers: string;
  /** A queue URL on a fresh, unique stream (deleted with its dead letters by `cleanup`). */
  newQueueUrl(prefix?: string): string;
  cleanup(): Promise<void>;
}

/**
 * The machine's shared NATS JetStream (`NATS_HOST`, default 127.0.0.1:4222),
 * one unique stream per caller. Call at the top level of a test file;
 * unreachable: undefined and a named skipped test, or under `CI=true` a failure.
 */
export async function connectTestNats(): Promise<TestNats | undefined> {
  const [host = '127.0.0.1', port = '4222'] = (process.env.NATS_HOST ?? '127.0.0.1:4222').split(':');
  const reason = await probeTcp(host, Number(port));
  if (!requireService('NATS JetStream', !reason, reason ?? '')) return undefined;
  const servers = `${host}:${port}`;
  const streams: string[] = [];
  return {
    servers,
    newQueueUrl(prefix = 'SYW') {
      const stream = uniqueName(prefix);
      streams.push(stream, `${stream}_DLQ`);
      return `nats://${servers}/${stream}`;
    },
    async cleanup() {
      await deleteStreams(servers, streams.splice(0));
    },
  };
}

/** Deletes JetStream streams (missing ones are ignored). */
export async function deleteStreams(servers: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of names) await jsm.streams.delete(name).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
