// Event latency: from "file completely written" (renamed into place; written
// in place and closed; detected by settling) to "routed" (the sink answered
// and the destination exists), through the folder watcher; and from an HTTP
// GCS CloudEvent to the receiver's answer. Files go one at a time, so the
// figures are latencies, not queueing. Run `npm run build` first; then
// `node bench/event-latency.mjs [--quick]`.
import { Buffer } from 'node:buffer';
import { promises as fsp } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { argv, exit, stdout } from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../dist/config/load.js';
import { startWatcher } from '../dist/triggers/fs-watch/watcher.js';
import { openWriterProbe } from '../dist/triggers/fs-watch/probe.js';
import { routerSink } from '../dist/intake/sink.js';
import { silentLogger } from '../dist/util/log.js';
import { openContext } from '../dist/runtime/context.js';

const TARGET_MS = 50;
const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
landing,inbox,.,lake,raw,in
`;

async function workspace() {
  const dir = await fsp.mkdtemp(path.join(tmpdir(), 'switchyard-latency-'));
  await fsp.writeFile(path.join(dir, 'routes.csv'), ROUTES);
  const source = path.join(dir, 'data', 'landing', 'inbox');
  await fsp.mkdir(source, { recursive: true });
  const ctx = await openContext(
    await loadConfig({ routes: 'routes.csv', data: 'data', state: 'state' }, {}, dir),
    silentLogger(),
  );
  return {
    ctx,
    source,
    destination: (name) => path.join(dir, 'data', 'lake', 'raw', 'in', name),
    async close() {
      await ctx.close();
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a watcher whose answers resolve per key; returns `answered(key)` promises and the rules seen. */
async function watching(ws, options) {
  const waiting = new Map();
  const rules = {};
  const failures = [];
  const phases = { judged: [], routed: [] };
  const watcher = await startWatcher(ws.ctx, routerSink(ws.ctx.router), {
    concurrency: 8,
    ...options,
    onResult: (report) => {
      const at = performance.now();
      rules[report.rule] = (rules[report.rule] ?? 0) + 1;
      phases.judged.push(report.completeAt - report.noticedAt);
      phases.routed.push(report.answeredAt - report.completeAt);
      if (report.result?.outcome !== 'routed') {
        failures.push(
          `${report.event.key}: expected routed, got ${report.result?.outcome ?? report.error?.code}`,
        );
      }
      waiting.get(report.event.key)?.(at);
      waiting.delete(report.event.key);
    },
  });
  const answered = (key) => new Promise((resolve) => waiting.set(key, resolve));
  const stop = async () => {
    await watcher.stop();
    if (failures.length)
      throw new Error(
        `[bench] [event-latency] ${failures.length} files not routed: ${failures.slice(0, 5).join('; ')}`,
      );
  };
  /** p50 of noticed → judged complete and of judged → sink answered, since the last call. */
  const breakdown = () => {
    const p50 = (list) => (list.length ? [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] : null);
    const out = {
      noticed_to_complete_p50_ms: p50(phases.judged),
      complete_to_routed_p50_ms: p50(phases.routed),
      rules: { ...rules },
    };
    phases.judged = [];
    phases.routed = [];
    for (const rule of Object.keys(rules)) delete rules[rule];
    return out;
  };
  return { watcher, answered, rules, stop, breakdown };
}

async function renamedIntoPlace(ws, w, count, body) {
  const latencies = [];
  for (let i = 0; i < count; i++) {
    const name = `renamed-${i}.csv`;
    const temp = path.join(ws.source, `${name}.tmp`);
    await fsp.writeFile(temp, body);
    const done = w.answered(name);
    const t0 = performance.now();
    await fsp.rename(temp, path.join(ws.source, name));
    latencies.push((await done) - t0);
  }
  return latencies;
}

async function writtenInPlace(ws, w, count, body) {
  const latencies = [];
  const half = Math.floor(body.length / 2);
  for (let i = 0; i < count; i++) {
    const name = `closed-${i}.csv`;
    const done = w.answered(name);
    const handle = await fsp.open(path.join(ws.source, name), 'w');
    await handle.write(body.subarray(0, half));
    await sleep(30);
    await handle.write(body.subarray(half));
    await handle.close();
    const t0 = performance.now();
    latencies.push((await done) - t0);
  }
  return latencies;
}

async function settled(ws, w, count, body) {
  const runs = [];
  for (let i = 0; i < count; i++) {
    const name = `settled-${i}.csv`;
    const temp = path.join(ws.source, `${name}.tmp`);
    await fsp.writeFile(temp, body);
    const done = w.answered(name);
    const t0 = performance.now();
    await fsp.rename(temp, path.join(ws.source, name));
    runs.push(done.then((at) => at - t0));
    await sleep(10);
  }
  return Promise.all(runs);
}

/** Optional: the HTTP receiver, written by another part of the project. Undefined when it is not built. */
async function httpLatencies(ws, count, body) {
  let startEventMode;
  try {
    ({ startEventMode } = await import('../dist/modes/event.js'));
  } catch {
    return undefined;
  }
  const mode = await startEventMode(ws.ctx, { port: 0, host: '127.0.0.1', watch: false, dashboard: false });
  const latencies = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `http-${i}.csv`;
      await fsp.writeFile(path.join(ws.source, name), body);
      const headers = {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': `bench-${i}`,
        'ce-source': '//storage.googleapis.com/projects/_/buckets/inbox',
        'ce-type': 'google.cloud.storage.object.v1.finalized',
        'ce-subject': `objects/${name}`,
      };
      const payload = JSON.stringify({ bucket: 'inbox', name, size: String(body.length) });
      const t0 = performance.now();
      const response = await globalThis.fetch(`${mode.url}/events`, {
        method: 'POST',
        headers,
        body: payload,
      });
      const text = await response.text();
      latencies.push(performance.now() - t0);
      if (response.status !== 200 || !text.includes('routed')) {
        throw new Error(
          `[bench] [event-latency] POST /events for ${name}: expected 200 routed, got ${response.status} ${text}`,
        );
      }
    }
  } finally {
    await mode.server.close();
  }
  return latencies;
}

/** Median cost of one /proc open-writer snapshot (every process's descriptors), which bounds the watcher's latency. */
function snapshotCost() {
  const probe = openWriterProbe();
  if (!probe) return undefined;
  const costs = [];
  for (let i = 0; i < 21; i++) {
    probe.openForWriting([{ path: '/nonexistent/switchyard-bench' }]);
    costs.push(probe.lastScanMs);
  }
  return costs.sort((a, b) => a - b)[10];
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function rows(label, latencies, target, detail) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (n) => Number(n.toFixed(1));
  const row = (stat, value, withTarget) => ({
    name: `event latency: ${label} ${stat}`,
    value: round(value),
    unit: 'ms',
    reference: null,
    reference_value: null,
    ratio: null,
    target: withTarget ? `< ${target} ms` : null,
    holds: withTarget ? value < target : null,
    detail,
  });
  return [
    row('p50', percentile(sorted, 50), false),
    row('p99', percentile(sorted, 99), target !== null),
    row('max', sorted[sorted.length - 1], false),
  ];
}

export async function run({ quick = false } = {}) {
  const count = quick ? 200 : 1000;
  const body = Buffer.alloc(4096, 'x');
  const results = [];

  const ws = await workspace();
  try {
    const w = await watching(ws, {});
    await renamedIntoPlace(ws, w, 20, body);
    w.breakdown();
    const renamed = await renamedIntoPlace(ws, w, count, body);
    const renamedParts = w.breakdown();
    const closed = await writtenInPlace(ws, w, count, body);
    const closedParts = w.breakdown();
    await w.stop();
    const probing = w.watcher.probing;
    results.push(
      ...rows('renamed into place → routed (watcher)', renamed, TARGET_MS, {
        files: count,
        probe: probing,
        ...renamedParts,
      }),
    );
    results.push(
      ...rows('written in place, closed → routed (watcher)', closed, TARGET_MS, {
        files: count,
        probe: probing,
        ...closedParts,
      }),
    );

    const settleMs = 2000;
    const s = await watching(ws, { probe: false, settleMs });
    const settleCount = quick ? 20 : 100;
    const settledLatencies = await settled(ws, s, settleCount, body);
    await s.stop();
    results.push(
      ...rows(`detected by settling (settleMs ${settleMs}) → routed`, settledLatencies, null, {
        files: settleCount,
        ...s.breakdown(),
      }),
    );

    const http = await httpLatencies(ws, count, body);
    if (http) results.push(...rows('HTTP CloudEvent → answer (routed)', http, TARGET_MS, { events: count }));
    else
      results.push({
        name: 'event latency: HTTP CloudEvent → answer',
        value: null,
        unit: 'ms',
        reference: null,
        reference_value: null,
        ratio: null,
        target: `< ${TARGET_MS} ms`,
        holds: null,
        detail: { skipped: 'dist/modes/event.js not built' },
      });

    const cost = snapshotCost();
    results.push({
      name: 'event latency: one /proc open-writer snapshot (median)',
      value: cost === undefined ? null : Number(cost.toFixed(2)),
      unit: 'ms',
      reference: null,
      reference_value: null,
      ratio: null,
      target: null,
      holds: null,
      detail: {
        load_average_1m: Number(loadavg()[0].toFixed(2)),
        cpus: cpus().length,
        probe: cost !== undefined,
      },
    });

    const missing = [];
    for (const name of [
      `renamed-${count - 1}.csv`,
      `closed-${count - 1}.csv`,
      `settled-${settleCount - 1}.csv`,
    ]) {
      await fsp.stat(ws.destination(name)).catch(() => missing.push(name));
    }
    if (missing.length)
      throw new Error(
        `[bench] [event-latency] routed files missing at the destination: ${missing.join(', ')}`,
      );
  } finally {
    await ws.close();
  }
  return results;
}

function print(line) {
  stdout.write(`${line}\n`);
}

function fmt(n) {
  return n === null || n === undefined ? '—' : typeof n === 'number' ? n.toLocaleString('en-US') : String(n);
}

if (import.meta.url === pathToFileURL(argv[1] ?? '').href) {
  const results = await run({ quick: argv.includes('--quick') });
  print('| benchmark | switchyard | reference | reference value | ratio | target | holds |');
  print('|---|---|---|---|---|---|---|');
  for (const r of results) {
    print(
      `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.reference ?? '—'} | ${fmt(r.reference_value)} | ${fmt(r.ratio)} | ${r.target ?? 'none'} | ${fmt(r.holds)} |`,
    );
  }
  for (const r of results)
    if (!r.name.endsWith('p50') && !r.name.endsWith('max'))
      print(`<!-- ${r.name}: ${JSON.stringify(r.detail)} -->`);
  exit(0);
}
