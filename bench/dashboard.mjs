// Dashboard API latency with 1,000,000 deliveries in a SQLite ledger (100,000
// with --quick): every page the dashboard asks for, timed 20 times through the
// real Hono app (app.request), p95 against a 300 ms target. The search row's
// reference is the same search with no scan bound (what a plain substring
// search over every row costs). Run `npm run build` first; then
// `node bench/dashboard.mjs [--quick]`.
import path from 'node:path';
import process from 'node:process';
import Database from 'better-sqlite3';
import { createDashboardApp } from '../dist/triggers/http/dashboard/app.js';
import { openSqliteLedger } from '../dist/ledger/sqlite/ledger.js';
import { DELIVERY_COLUMNS } from '../dist/ledger/rows.js';
import { compileReferential, loadReferentialText } from '../dist/referential/index.js';
import { StoreRegistry } from '../dist/storage/registry.js';
import { percentile, row, runDirectly, tempDir } from './lib/common.mjs';

const TARGET_MS = 300;
const RUNS = 20;
const ROUTES = 100;
const SPAN_MS = 30 * 86_400_000;
const COUNTRIES = ['fr', 'de', 'it', 'es', 'nl', 'be', 'uk', 'us'];

/** Delivery i of n, spread evenly over the last 30 days (newest last); ~2% failed or dead, a few in flight. */
function delivery(i, n, now) {
  const r = i % ROUTES;
  const updated = now - SPAN_MS + Math.floor((i * SPAN_MS) / n);
  const state = i % 97 === 0 ? 'dead' : i % 89 === 0 ? 'failed' : i % 997 === 0 ? 'planned' : 'done';
  const name = `sales_${COUNTRIES[i % COUNTRIES.length]}_${String(i).padStart(8, '0')}.csv`;
  const done = state === 'done';
  return [
    (Math.imul(i, 2654435761) >>> 0).toString(16).padStart(8, '0') + i.toString(16).padStart(24, '0'),
    'ingest',
    `landing-${r % 10}`,
    `incoming/${name}`,
    String(updated),
    `route-${String(r).padStart(3, '0')}`,
    `dest-${r % 4}`,
    `warehouse-${r % 20}`,
    `sales/${COUNTRIES[i % COUNTRIES.length]}/${name}`,
    'move',
    1_000 + ((i * 7919) % 500_000),
    state,
    done ? 1 : 3,
    done || state === 'planned' ? null : 'E_BACKEND',
    done || state === 'planned' ? null : 'destination bucket unreachable: connection reset',
    state === 'failed' ? now + 60_000 : null,
    done ? 'AAAAAA==' : null,
    0,
    updated - 900,
    updated,
    done ? updated - 600 : null,
    done ? updated - 300 : null,
    done ? updated : null,
    done ? updated : null,
    null,
    null,
  ];
}

/** Bulk insert into the ledger's own schema (its triggers keep the hourly rollup), one transaction. */
async function seed(file, n, now) {
  await (await openSqliteLedger(file)).close();
  const db = new Database(file);
  db.pragma('synchronous = OFF');
  const insert = db.prepare(
    `INSERT INTO deliveries (${DELIVERY_COLUMNS.join(', ')}) VALUES (${DELIVERY_COLUMNS.map(() => '?').join(', ')})`,
  );
  const unrouted = db.prepare(
    'INSERT INTO unrouted (project, bucket, key, generation, size, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const started = Date.now();
  db.transaction(() => {
    for (let i = 0; i < n; i++) insert.run(delivery(i, n, now));
    for (let i = 0; i < 1000; i++)
      unrouted.run(
        'ingest',
        `landing-${i % 10}`,
        `stray/unknown_${i}.bin`,
        '1',
        10 + i,
        now - SPAN_MS + i * 1000,
        now - i * 1000,
      );
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return Date.now() - started;
}

function referentialText() {
  const lines = [
    'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,route_id',
  ];
  for (let r = 0; r < ROUTES; r++) {
    lines.push(
      `ingest,landing-${r % 10},^sales_${COUNTRIES[r % COUNTRIES.length]}_,dest-${r % 4},warehouse-${r % 20},sales/{yyyy},route-${String(r).padStart(3, '0')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function time(app, url, runs = RUNS) {
  const samples = [];
  await app.request(url);
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const response = await app.request(url);
    const body = await response.json();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status} ${JSON.stringify(body)}`);
  }
  return percentile(samples, 95);
}

async function deepCursor(app, base, pages) {
  let cursor;
  for (let i = 0; i < pages; i++) {
    const page = await (
      await app.request(
        `${base}${base.includes('?') ? '&' : '?'}limit=50${cursor ? `&cursor=${cursor}` : ''}`,
      )
    ).json();
    cursor = page.nextCursor;
  }
  return cursor;
}

export async function run({ quick = false } = {}) {
  const n = quick ? 100_000 : 1_000_000;
  const work = await tempDir('dashboard');
  try {
    const file = path.join(work.dir, 'ledger.db');
    const now = Date.now();
    const seedMs = await seed(file, n, now);
    process.stderr.write(
      `dashboard: seeded ${n.toLocaleString('en-US')} deliveries in ${(seedMs / 1000).toFixed(1)} s\n`,
    );
    const store = await openSqliteLedger(file);
    const referential = compileReferential(
      loadReferentialText(referentialText(), 'routes.csv'),
      'routes.csv',
    );
    const app = createDashboardApp({
      ledger: store.ledger,
      reports: store.reports,
      referential: () => referential,
      stores: new StoreRegistry({ dataRoot: path.join(work.dir, 'data'), projects: {}, env: {} }),
      sink: async () => ({ outcome: 'queued' }),
    });
    const rare = `sales_de_${String(Math.floor(n * 0.2) + 1).padStart(8, '0')}`;
    const laterPage = await deepCursor(app, '/api/deliveries', 20);
    const laterSearch = await deepCursor(app, '/api/deliveries?q=sales_fr', 20);
    const laterFailures = await deepCursor(app, '/api/failures', 10);
    const pages = [
      ['first page of deliveries', '/api/deliveries'],
      ['21st page of deliveries (keyset cursor)', `/api/deliveries?cursor=${laterPage}`],
      ['search, common name (sales_fr)', '/api/deliveries?q=sales_fr'],
      ['search, 21st page via cursor', `/api/deliveries?q=sales_fr&cursor=${laterSearch}`],
      ['search, name not in the newest 50,000', `/api/deliveries?q=${rare}`],
      ['failures and dead letters, first page', '/api/failures'],
      ['failures, 11th page via cursor', `/api/failures?cursor=${laterFailures}`],
      ['unrouted files, first page', '/api/unrouted'],
      ['flows, last 24 hours', '/api/flows?window=24h'],
      ['flows, all time', '/api/flows?window=all'],
      ['route stats, last 24 hours', '/api/routes?window=24h'],
      ['route stats, all time', '/api/routes?window=all'],
      ['summary (counts by state)', '/api/summary'],
    ];
    const rows = [];
    const size = n.toLocaleString('en-US');
    for (const [name, url] of pages) {
      const p95 = await time(app, url);
      const isRare = url.includes(rare);
      let reference = null;
      let referenceValue = null;
      if (isRare) {
        const started = process.hrtime.bigint();
        const unbounded = await store.reports.query({ search: rare, limit: 50 });
        referenceValue = Number(process.hrtime.bigint() - started) / 1e6;
        reference = `unbounded substring search (1 run, ${unbounded.items.length} found)`;
      }
      rows.push(
        row(`dashboard API p95, ${size} deliveries: ${name}`, p95, 'ms', {
          reference,
          referenceValue,
          target: `p95 < ${TARGET_MS} ms`,
          holds: p95 < TARGET_MS,
          lowerIsBetter: true,
        }),
      );
    }
    await store.close();
    return rows;
  } finally {
    await work.remove();
  }
}

await runDirectly(import.meta.url, run);
