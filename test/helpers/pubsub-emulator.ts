import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPubsubClients } from '../../src/queue/pubsub/clients.js';
import { freePort, uniqueName } from './services.js';

/**
 * Google's Pub/Sub emulator (Cloud SDK component `pubsub-emulator`, Java 17),
 * started on a free port for a test file; no network or credentials needed.
 * Set PUBSUB_EMULATOR_BIN to use a binary other than the one beside `gcloud`.
 */
export interface PubsubEmulator {
  /** `127.0.0.1:PORT`, the value for `PUBSUB_EMULATOR_HOST` or `?emulator=`. */
  host: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

export function findPubsubEmulator(): string | undefined {
  const candidates = [process.env.PUBSUB_EMULATOR_BIN];
  const gcloud = onPath('gcloud');
  if (gcloud)
    candidates.push(
      path.join(
        path.dirname(realpathSync(gcloud)),
        '..',
        'platform',
        'pubsub-emulator',
        'bin',
        'cloud-pubsub-emulator',
      ),
    );
  for (const root of [
    '/usr/lib/google-cloud-sdk',
    '/usr/share/google-cloud-sdk',
    '/google-cloud-sdk',
    path.join(os.homedir(), 'google-cloud-sdk'),
  ]) {
    candidates.push(path.join(root, 'platform', 'pubsub-emulator', 'bin', 'cloud-pubsub-emulator'));
  }
  return candidates.find((file): file is string => typeof file === 'string' && existsSync(file));
}

/** Starts the emulator and resolves once it answers HTTP; rejects with the reason (and its last output) otherwise. */
export async function startPubsubEmulator(): Promise<PubsubEmulator> {
  const bin = findPubsubEmulator();
  if (!bin)
    throw new Error(
      'cloud-pubsub-emulator not found (install the gcloud component pubsub-emulator or set PUBSUB_EMULATOR_BIN)',
    );
  if (!onPath('java')) throw new Error('java is not on PATH (the Pub/Sub emulator needs Java 17+)');
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    try {
      return await launch(bin, port);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function launch(bin: string, port: number): Promise<PubsubEmulator> {
  const child = spawn(bin, [`--host=127.0.0.1`, `--port=${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-2_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    await terminate(child);
  };
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await answers(host)) return { host, stop };
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  await stop();
  throw new Error(
    `Pub/Sub emulator did not answer on ${host} within ${START_TIMEOUT_MS} ms; last output:\n${output}`,
  );
}

async function answers(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, command);
    if (dir && existsSync(file)) return file;
  }
  return undefined;
}

export interface PubsubTestResources {
  subscription: string;
  topic: string;
  deadLetterTopic: string;
  deadLetterSubscription: string;
  /** The `pubsub://` URL naming all of them, emulator included. */
  url: string;
  remove(): Promise<void>;
}

/**
 * Creates a topic, its subscription and a dead-letter topic + subscription,
 * with unique names. `deadLetterPolicy` puts a server-side dead-letter policy
 * on the main subscription, which makes Pub/Sub report delivery attempts.
 */
export async function createPubsubResources(
  host: string,
  options: { project?: string; deadLetterPolicy?: boolean; ackDeadlineSeconds?: number } = {},
): Promise<PubsubTestResources> {
  const project = options.project ?? 'switchyard-test';
  const base = uniqueName('sy');
  const name = (kind: 'topics' | 'subscriptions', suffix: string): string =>
    `projects/${project}/${kind}/${base}${suffix}`;
  const [topic, deadLetterTopic] = [name('topics', ''), name('topics', '-dlq')];
  const [subscription, deadLetterSubscription] = [name('subscriptions', ''), name('subscriptions', '-dlq')];
  const clients = createPubsubClients(project, host);
  try {
    await clients.publisher.createTopic({ name: topic });
    await clients.publisher.createTopic({ name: deadLetterTopic });
    await clients.subscriber.createSubscription({
      name: deadLetterSubscription,
      topic: deadLetterTopic,
      ackDeadlineSeconds: 10,
    });
    await clients.subscriber.createSubscription({
      name: subscription,
      topic,
      ackDeadlineSeconds: options.ackDeadlineSeconds ?? 10,
      ...(options.deadLetterPolicy
        ? { deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts: 100 } }
        : {}),
    });
  } finally {
    await clients.close();
  }
  const query = new URLSearchParams({ topic, deadLetterTopic, deadLetterSubscription, emulator: host });
  return {
    subscription,
    topic,
    deadLetterTopic,
    deadLetterSubscription,
    url: `pubsub://${subscription}?${query.toString()}`,
    remove: async () => {
      const admin = createPubsubClients(project, host);
      try {
        for (const sub of [subscription, deadLetterSubscription])
          await admin.subscriber.deleteSubscription({ subscription: sub }).catch(() => undefined);
        for (const t of [topic, deadLetterTopic])
          await admin.publisher.deleteTopic({ topic: t }).catch(() => undefined);
      } finally {
        await admin.close();
      }
    },
  };
}
