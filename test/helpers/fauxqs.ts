import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FauxqsServer } from 'fauxqs';

/**
 * A fauxqs (SQS/SNS/S3 emulator) server on a free port, for tests. By
 * default it runs in a child process, so the objects it holds do not count
 * against this process's memory (the store suite measures it); pass
 * `inProcess: true` to get the embedded server's programmatic API instead.
 * It accepts any credentials; S3 clients need `forcePathStyle: true`.
 *
 * Known gaps of fauxqs 1.9.2 for S3: no checksum headers, no conditional
 * writes or deletes, no versioning, no UploadPartCopy, Content-Encoding and
 * Cache-Control are not stored, ListObjects orders keys by `localeCompare`
 * (not byte order), and a request body may not exceed 11 MiB (keep
 * multipart parts smaller).
 */
export interface Fauxqs {
  /** e.g. `http://127.0.0.1:38211` */
  endpoint: string;
  region: string;
  /** Static test credentials (never checked by fauxqs). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Env holding the credentials, for configs that reference env var names (FAUXQS_*_ENV). */
  env: Record<string, string>;
  /** Creates an S3 bucket (idempotent). */
  createBucket(name: string): Promise<void>;
  /** The embedded server, only with `inProcess: true`. */
  server?: FauxqsServer;
  stop(): Promise<void>;
}

export const FAUXQS_ACCESS_KEY_ENV = 'FAUXQS_TEST_ACCESS_KEY_ID';
export const FAUXQS_SECRET_KEY_ENV = 'FAUXQS_TEST_SECRET_ACCESS_KEY';

const CHILD_SCRIPT = `
import { startFauxqs } from 'fauxqs';
const server = await startFauxqs({ port: 0, logger: false, defaultRegion: process.argv[1] });
process.stdout.write(JSON.stringify({ port: server.port }) + '\\n');
process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
process.stdin.on('end', () => process.exit(0)).resume();
`;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function startChild(region: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT, region], {
    cwd: ROOT,
    // stdin stays open while this process lives: the child exits when it closes.
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fauxqs exited with code ${code} before listening`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  lines.close();
  return { port, child };
}

export async function startFauxqs(options: { region?: string; inProcess?: boolean } = {}): Promise<Fauxqs> {
  const region = options.region ?? 'us-east-1';
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const env = {
    [FAUXQS_ACCESS_KEY_ENV]: credentials.accessKeyId,
    [FAUXQS_SECRET_KEY_ENV]: credentials.secretAccessKey,
  };
  if (options.inProcess) {
    const { startFauxqs: startEmbedded } = await import('fauxqs');
    const server = await startEmbedded({ port: 0, logger: false, defaultRegion: region });
    return {
      endpoint: `http://127.0.0.1:${server.port}`,
      region,
      credentials,
      env,
      createBucket: async (name) => void server.createBucket(name),
      server,
      stop: () => server.stop(),
    };
  }
  const { port, child } = await startChild(region);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    region,
    credentials,
    env,
    createBucket: async (name) => {
      const response = await fetch(`${endpoint}/${encodeURIComponent(name)}`, { method: 'PUT' });
      if (!response.ok) throw new Error(`fauxqs CreateBucket ${name}: HTTP ${response.status}`);
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
