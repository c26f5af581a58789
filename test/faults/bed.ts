import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { enqueueLocations } from '../../src/drains/batch-enqueue.js';
import { openQueue } from '../../src/queue/url.js';
import type { QueueStats } from '../../src/queue/types.js';
import { StoreRegistry } from '../../src/storage/registry.js';
import { FS_TEMP_PREFIX } from '../../src/storage/fs/store.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'switchyard.js');

export const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,route_id';

/** Every file lands in land/in; all move to warehouse/landed, names ending in 0 are also copied to archive/copies. */
export const FAN_OUT_ROUTES = `${HEADER}
land,in,\\.dat$,warehouse,landed,,move,version,main
land,in,0\\.dat$,archive,copies,,copy,version,keep
`;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  log: string;
}

export interface LedgerRow {
  route_id: string;
  source_key: string;
  dest_key: string;
  state: string;
  attempts: number;
}

/**
 * A temp folder with a referential and landing files, a queue URL and a
 * PostgreSQL ledger URL, and worker processes (`node bin/switchyard.js worker`)
 * started on them. The manifest keeps each file's sha256 before routing.
 */
export class FaultBed {
  readonly manifest = new Map<string, string>();
  readonly workers: Array<WorkerProcess | undefined> = [];
  private readonly logs: string[] = [];
  private spawned = 0;

  private constructor(
    readonly dir: string,
    readonly queueUrl: string,
    readonly ledgerUrl: string,
    readonly workerArgs: string[],
  ) {}

  static async create(options: {
    queueUrl: string;
    ledgerUrl: string;
    routes: string;
    workerArgs?: string[];
  }): Promise<FaultBed> {
    const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-faults-'));
    await writeFile(path.join(dir, 'routes.csv'), options.routes);
    return new FaultBed(dir, options.queueUrl, options.ledgerUrl, options.workerArgs ?? []);
  }

  get data(): string {
    return path.join(this.dir, 'data');
  }

  folder(location: string): string {
    return path.join(this.data, ...location.split('/'));
  }

  /** Writes `count` small distinct files `fNNNNN.dat` into land/in and records their sha256. */
  async land(count: number): Promise<string[]> {
    const dir = this.folder('land/in');
    await mkdir(dir, { recursive: true });
    const names = Array.from({ length: count }, (_, i) => `f${String(i).padStart(5, '0')}.dat`);
    for (let i = 0; i < names.length; i += 500) {
      await Promise.all(
        names.slice(i, i + 500).map(async (name) => {
          const body = `${name} ${randomBytes(24).toString('hex')}\n`;
          this.manifest.set(name, sha256(body));
          await writeFile(path.join(dir, name), body);
        }),
      );
    }
    return names;
  }

  /** Publishes one event per landed file (with generation and size, as `switchyard enqueue` does). */
  async publish(names: string[]): Promise<void> {
    const stores = new StoreRegistry({ dataRoot: this.data });
    const queue = await openQueue(this.queueUrl, { stateDir: path.join(this.dir, 'state') });
    try {
      await enqueueLocations(
        stores,
        queue,
        names.map((n) => `land/in/${n}`),
        { concurrency: 64 },
      );
    } finally {
      await queue.close();
      await stores.close();
    }
  }

  async queueStats(): Promise<QueueStats> {
    const queue = await openQueue(this.queueUrl, { stateDir: path.join(this.dir, 'state') });
    try {
      return await queue.stats();
    } finally {
      await queue.close();
    }
  }

  /** Starts worker `index` (replacing a dead one); its output goes to a log file. */
  spawnWorker(index: number, extra: string[] = []): WorkerProcess {
    const log = path.join(this.dir, `worker-${index}-${this.spawned++}.log`);
    this.logs.push(log);
    const out = createWriteStream(log);
    const args = [
      CLI,
      'worker',
      '--queue',
      this.queueUrl,
      '--ledger',
      this.ledgerUrl,
      '--data',
      this.data,
      '--routes',
      path.join(this.dir, 'routes.csv'),
      '--state',
      path.join(this.dir, `state-${index}`),
      '--log-level',
      'info',
      ...this.workerArgs,
      ...extra,
    ];
    const child = spawn(process.execPath, args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const worker = { child, exited, log };
    this.workers[index] = worker;
    return worker;
  }

  /** SIGKILLs worker `index` and waits for it to die. */
  async kill(index: number): Promise<void> {
    const worker = this.workers[index];
    if (!worker) return;
    worker.child.kill('SIGKILL');
    await worker.exited;
    this.workers[index] = undefined;
  }

  /** SIGTERMs every live worker; resolves to their exit codes. */
  async stopAll(): Promise<Array<number | null>> {
    const live = this.workers.filter((w): w is WorkerProcess => w !== undefined);
    for (const w of live) w.child.kill('SIGTERM');
    const codes = await Promise.all(live.map((w) => w.exited));
    this.workers.fill(undefined);
    return codes;
  }

  /** Workers that exited on their own (a crash). */
  crashed(): WorkerProcess[] {
    return this.workers.filter((w): w is WorkerProcess => w !== undefined && w.child.exitCode !== null);
  }

  async count(location: string): Promise<number> {
    return (await readdir(this.folder(location)).catch(() => [] as string[])).filter(
      (n) => !n.startsWith(FS_TEMP_PREFIX),
    ).length;
  }

  /** Polls `check` every 500 ms until it returns true; fails after `timeoutMs` with `describe()`. */
  async until(
    check: () => Promise<boolean>,
    timeoutMs: number,
    describe: () => Promise<string>,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      const crashed = this.crashed();
      if (crashed.length > 0)
        throw new Error(
          `a worker exited on its own (code ${crashed[0]?.child.exitCode}):\n${await this.tail(crashed[0]!.log)}`,
        );
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms: ${await describe()}\n${await this.logTails()}`);
      await sleep(500);
    }
  }

  /** Every temp file left under the data root. */
  async tempFiles(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (e.isDirectory()) await walk(path.join(dir, e.name));
        else if (e.name.startsWith(FS_TEMP_PREFIX))
          out.push(path.relative(this.data, path.join(dir, e.name)));
      }
    };
    await walk(this.data);
    return out;
  }

  /** sha256 of every file in a folder, by name. */
  async contents(location: string): Promise<Map<string, string>> {
    const dir = this.folder(location);
    const out = new Map<string, string>();
    const names = await readdir(dir).catch(() => [] as string[]);
    for (let i = 0; i < names.length; i += 256) {
      await Promise.all(
        names.slice(i, i + 256).map(async (n) => out.set(n, sha256(await readFile(path.join(dir, n))))),
      );
    }
    return out;
  }

  async tail(log: string, lines = 30): Promise<string> {
    const text = await readFile(log, 'utf8').catch(() => '');
    return `--- ${path.basename(log)}\n${text.split('\n').slice(-lines).join('\n')}`;
  }

  async logTails(): Promise<string> {
    const live = this.workers.filter((w): w is WorkerProcess => w !== undefined).map((w) => w.log);
    return (await Promise.all(live.map((l) => this.tail(l, 15)))).join('\n');
  }

  /** Lines of every worker log (killed ones included) that match. */
  async grepLogs(pattern: RegExp): Promise<string[]> {
    const out: string[] = [];
    for (const log of this.logs)
      for (const line of (await readFile(log, 'utf8').catch(() => '')).split('\n'))
        if (pattern.test(line)) out.push(line);
    return out;
  }

  async remove(): Promise<void> {
    for (const w of this.workers) w?.child.kill('SIGKILL');
    await Promise.all(this.workers.map((w) => w?.exited));
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function sha256(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The deliveries and unrouted rows of a PostgreSQL ledger URL (`?schema=` honoured). */
export async function ledgerRows(ledgerUrl: string): Promise<{ deliveries: LedgerRow[]; unrouted: number }> {
  const url = new URL(ledgerUrl);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const prefix = schema ? `"${schema}".` : '';
    const deliveries = await client.query<LedgerRow>(
      `SELECT route_id, source_key, dest_key, state, attempts FROM ${prefix}deliveries`,
    );
    const unrouted = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${prefix}unrouted`);
    return { deliveries: deliveries.rows, unrouted: Number(unrouted.rows[0]?.n ?? 0) };
  } finally {
    await client.end();
  }
}

/** Deliveries by state, e.g. `{ done: 20000, failed: 3 }`; empty when the schema does not exist yet. */
export async function ledgerStates(ledgerUrl: string): Promise<Record<string, number>> {
  const url = new URL(ledgerUrl);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const prefix = schema ? `"${schema}".` : '';
    const result = await client.query<{ state: string; n: string }>(
      `SELECT state, count(*) AS n FROM ${prefix}deliveries GROUP BY state`,
    );
    return Object.fromEntries(result.rows.map((r) => [r.state, Number(r.n)]));
  } catch {
    return {};
  } finally {
    await client.end().catch(() => undefined);
  }
}
