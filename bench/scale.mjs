/* global process, URL */
// Scale-out: files per second routed by 1 and by 2 `switchyard worker` processes sharing one
// NATS JetStream queue and one PostgreSQL ledger (the machine's: NATS_HOST, default
// 127.0.0.1:4222, a unique stream; SWITCHYARD_TEST_PG, default postgres://postgres@127.0.0.1:5432/test,
// a unique schema; both removed afterwards), then the same with the workers pinned to separate
// cores (`taskset`). 20,000 small files; --quick: 3,000. The rate is the ledger's: files done
// per second from the first claim to the last delivery done (process start-up excluded).
// This 2-core machine also runs NATS and PostgreSQL: a figure to watch, not a target.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { CLI, have, nodeCommand, row, runDirectly, syncFs, tempDir, timed } from './lib/common.mjs';

const NATS = process.env.NATS_HOST ?? '127.0.0.1:4222';
const PG = process.env.SWITCHYARD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action
land,in,\\.dat$,warehouse,landed,,move
`;

function reachable(hostPort) {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    socket.setTimeout(1_000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function landAndQueue(root, count, queueUrl) {
  const dir = path.join(root, 'data', 'land', 'in');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(root, 'routes.csv'), ROUTES);
  const names = Array.from({ length: count }, (_, i) => `f${String(i).padStart(6, '0')}.dat`);
  for (let i = 0; i < count; i += 500) {
    await Promise.all(
      names
        .slice(i, i + 500)
        .map((n) => writeFile(path.join(dir, n), `${n} ${randomBytes(32).toString('hex')}\n`)),
    );
  }
  syncFs();
  const { openQueue } = await import('../dist/queue/url.js');
  const { enqueueLocations } = await import('../dist/drains/batch-enqueue.js');
  const { StoreRegistry } = await import('../dist/storage/registry.js');
  const stores = new StoreRegistry({ dataRoot: path.join(root, 'data') });
  const queue = await openQueue(queueUrl, { stateDir: path.join(root, '.switchyard') });
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

/** Done deliveries and the span from the first claim to the last delivery done, in ms. */
async function ledgerSpan(schema) {
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT count(*) FILTER (WHERE state = 'done') AS done, min(created_at) AS first, max(done_at) AS last FROM "${schema}".deliveries`,
    );
    return { done: Number(rows[0].done), ms: Number(rows[0].last) - Number(rows[0].first) };
  } finally {
    await client.end();
  }
}

async function dropSchema(schema) {
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

async function deleteStreams(names) {
  const nc = await connect({ servers: NATS });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of names) await jsm.streams.delete(name).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/** Routes `count` files with one worker per entry of `cpus` (a core to pin it to, or null); returns files/s. */
async function scenario(count, cpus) {
  const id = `${process.pid}_${Date.now().toString(36)}`;
  const stream = `SYBENCH_${id}`;
  const schema = `sy_bench_${id}`;
  const queueUrl = `nats://${NATS}/${stream}`;
  const ledger = new URL(PG);
  ledger.searchParams.set('schema', schema);
  const work = await tempDir('scale');
  try {
    await landAndQueue(work.dir, count, queueUrl);
    const runs = cpus.map((cpu, i) => {
      const [cmd, args] = nodeCommand(CLI, [
        'worker',
        '--queue',
        queueUrl,
        '--ledger',
        ledger.toString(),
        '--state',
        path.join(work.dir, `state-${i}`),
        '--idle-exit',
        '1s',
        '--log-level',
        'warn',
      ]);
      return cpu === null
        ? timed(cmd, args, { cwd: work.dir })
        : timed('taskset', ['-c', String(cpu), cmd, ...args], { cwd: work.dir });
    });
    for (const r of await Promise.all(runs))
      if (r.code !== 0) throw new Error(`switchyard worker exited ${r.code}: ${r.stderr.slice(-2000)}`);
    const { done, ms } = await ledgerSpan(schema);
    if (done !== count) throw new Error(`${done} of ${count} files delivered`);
    return count / (ms / 1000);
  } finally {
    await work.remove();
    await dropSchema(schema).catch(() => undefined);
    await deleteStreams([stream, `${stream}_DLQ`]).catch(() => undefined);
  }
}

export async function run({ quick = false } = {}) {
  const count = quick ? 3_000 : 20_000;
  const label = `${count} small files, NATS + PostgreSQL on this machine`;
  const pgHost = new URL(PG);
  const missing = [
    ...((await reachable(NATS)) ? [] : [`NATS at ${NATS}`]),
    ...((await reachable(`${pgHost.hostname}:${pgHost.port || 5432}`))
      ? []
      : [`PostgreSQL at ${pgHost.host}`]),
  ];
  if (missing.length > 0)
    return [row(`scale-out workers, ${label}: skipped (${missing.join(', ')} unreachable)`, null, 'files/s')];

  const one = await scenario(count, [null]);
  const two = await scenario(count, [null, null]);
  const rows = [
    row(`1 worker, ${label}`, one, 'files/s'),
    row(`2 workers, ${label}`, two, 'files/s', { reference: '1 worker', referenceValue: one }),
  ];
  if (have('taskset')) {
    const onePinned = await scenario(count, [0]);
    const twoPinned = await scenario(count, [0, 1]);
    rows.push(
      row(`1 worker pinned to core 0, ${label}`, onePinned, 'files/s'),
      row(`2 workers pinned to cores 0 and 1, ${label}`, twoPinned, 'files/s', {
        reference: '1 worker pinned',
        referenceValue: onePinned,
      }),
    );
  } else {
    rows.push(
      row(`workers pinned apart: skipped (taskset missing: apt-get install -y util-linux)`, null, 'files/s'),
    );
  }
  return rows;
}

await runDirectly(import.meta.url, run);
