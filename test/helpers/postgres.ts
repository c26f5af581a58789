import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, requireService } from './services.js';

const exec = promisify(execFile);

export const DEFAULT_TEST_PG = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestPostgres {
  /** URL of a fresh, unique schema (`?schema=`), created on first use by the ledger. */
  url: string;
  /** Another unique schema of the same server, e.g. one per test; dropped by `cleanup`. */
  newUrl(): string;
  /** Drops every schema this handle named. */
  cleanup(): Promise<void>;
}

/**
 * The shared test PostgreSQL (`SWITCHYARD_TEST_PG`, default
 * `postgres://postgres@127.0.0.1:5432/test`). Call at the top level of a test
 * file. Unreachable: `requireService`'s rule — undefined and a named skipped
 * test, or under `CI=true` a failure.
 */
export async function connectTestPostgres(): Promise<TestPostgres | undefined> {
  const base = process.env.SWITCHYARD_TEST_PG ?? DEFAULT_TEST_PG;
  const reason = await unreachable(base);
  if (!requireService('PostgreSQL', !reason, `${base} is unreachable (${reason}); set SWITCHYARD_TEST_PG`))
    return undefined;
  const schemas: string[] = [];
  const newUrl = (): string => {
    const schema = `sy_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    const url = new URL(base);
    url.searchParams.set('schema', schema);
    return url.toString();
  };
  return {
    url: newUrl(),
    newUrl,
    async cleanup() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        for (const schema of schemas.splice(0))
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

async function unreachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || (error as NodeJS.ErrnoException).code : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  port: number;
  /** Stops the server (fast shutdown: clients are disconnected); data is kept. */
  shutdown(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** `shutdown` then `start`. */
  restart(): Promise<void>;
  /** Stops the server and deletes its data. */
  stop(): Promise<void>;
}

/**
 * Why `startPrivatePostgres` cannot work here (initdb/pg_ctl missing, or no
 * `postgres` user to run them as root); undefined when it can. Call at the
 * top level of a test file: `requireService`'s skip-or-fail rule applies.
 */
export async function privatePostgresUnavailable(): Promise<string | undefined> {
  const needed = ['initdb', 'pg_ctl', ...(process.getuid?.() === 0 ? ['runuser'] : [])];
  let reason: string | undefined;
  for (const command of needed) {
    if (
      !(await exec('sh', ['-c', `command -v ${command}`]).then(
        () => true,
        () => false,
      ))
    )
      reason = `${command} not on PATH`;
  }
  if (
    !reason &&
    process.getuid?.() === 0 &&
    !(await exec('id', ['-u', 'postgres']).then(
      () => true,
      () => false,
    ))
  ) {
    reason = 'running as root and there is no `postgres` user to run the server as';
  }
  requireService('private PostgreSQL (initdb + pg_ctl)', !reason, reason ?? '');
  return reason;
}

/**
 * A throwaway PostgreSQL (initdb + pg_ctl from PATH) on a free port with its
 * own data and socket folders, for tests that stop or restart a server —
 * never the machine's shared one. Running as root, the server runs as the
 * `postgres` OS user (initdb refuses root).
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-pg-'));
  const data = path.join(dir, 'data');
  const sockets = path.join(dir, 'sock');
  await mkdir(sockets);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await exec('id', ['-u', 'postgres']);
    const { stdout: gid } = await exec('id', ['-g', 'postgres']);
    for (const p of [dir, sockets]) await chown(p, Number(stdout.trim()), Number(gid.trim()));
  }
  const run = (command: string, args: string[]): Promise<unknown> =>
    asRoot ? exec('runuser', ['-u', 'postgres', '--', command, ...args]) : exec(command, args);
  const port = await freePort();
  const ctl = (args: string[]): Promise<unknown> =>
    run('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', ...args]);
  const start = async (): Promise<void> => {
    await ctl([
      '-o',
      `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
      'start',
    ]);
  };
  const shutdown = async (): Promise<void> => {
    await ctl(['-m', 'fast', 'stop']);
  };
  try {
    await run('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--locale=C',
    ]);
    await start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    shutdown,
    start,
    async restart() {
      await shutdown();
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await ctl(['-m', 'immediate', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
