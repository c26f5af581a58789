// Shared helpers for benchmarks: timing, child processes with peak RSS, result rows, tables.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(ROOT, 'bin', 'switchyard.js');
const RSS_PRELOAD = fileURLToPath(new URL('./report-rss.cjs', import.meta.url));

/** A result row, as bench/results.json stores it. */
export function row(
  name,
  value,
  unit,
  { reference = null, referenceValue = null, target = null, holds = null, lowerIsBetter = false } = {},
) {
  let ratio = null;
  if (referenceValue && value !== null && value !== undefined) {
    ratio = Number((lowerIsBetter ? value / referenceValue : value / referenceValue).toFixed(3));
  }
  return {
    name,
    value: round(value),
    unit,
    reference,
    reference_value: round(referenceValue),
    ratio,
    target,
    holds,
  };
}

function round(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return v ?? null;
  return Math.abs(v) >= 100 ? Math.round(v) : Number(v.toFixed(3));
}

export async function tempDir(prefix) {
  const dir = await mkdtemp(
    path.join(process.env.SWITCHYARD_BENCH_TMP ?? tmpdir(), `switchyard-bench-${prefix}-`),
  );
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function have(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/**
 * Runs a command, returning wall time in ms, exit code, output and (for node
 * commands run through nodeCommand) the child's peak RSS in bytes.
 */
export function timed(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const m = /switchyard-bench-maxrss=(\d+)/.exec(stderr);
      resolve({ ms, code, stdout, stderr, maxRssBytes: m ? Number(m[1]) * 1024 : null });
    });
  });
}

/**
 * node with a preload that reports the process's peak RSS on exit. CommonJS,
 * preloaded with `--require`: an `--import` preload would start Node's ES
 * module loader, which then loads the CommonJS bin through its translators
 * (cjs-module-lexer parsing it), some 8 ms a run that the processes it is
 * compared with (rclone, dd) do not pay.
 */
export function nodeCommand(script, args) {
  return [process.execPath, ['--require', RSS_PRELOAD, script, ...args]];
}

export function syncFs() {
  spawnSync('sync');
}

/**
 * Waits (at most `maxMs`) until a small fsync has answered within `quickMs`
 * for `windowMs` on end, and returns how long that took in ms. After
 * gigabytes were written and removed, a disk mounted with `discard` stalls
 * fsyncs (70 to 200 ms, here) at each journal commit for some seconds, even
 * once `sync` has nothing left to write: a benchmark run then would time
 * those stalls, not its own work.
 */
export async function quietDisk({ windowMs = 200, quickMs = 20, maxMs = 30_000 } = {}) {
  syncFs();
  const { dir, remove } = await tempDir('quiet');
  const file = path.join(dir, 'probe');
  const started = Date.now();
  try {
    let calmSince = Date.now();
    while (Date.now() - calmSince < windowMs && Date.now() - started < maxMs) {
      const t = process.hrtime.bigint();
      const fd = openSync(file, 'w');
      writeSync(fd, 'probe');
      fsyncSync(fd);
      closeSync(fd);
      if (Number(process.hrtime.bigint() - t) / 1e6 >= quickMs) calmSince = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await remove();
  }
  return Date.now() - started;
}

/** The middle value; of an even count, the mean of the two middle ones (not the upper one: of 2 runs, the slower). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

export function markdownTable(rows) {
  const header = ['benchmark', 'switchyard', 'reference', 'reference figure', 'ratio', 'target', 'holds'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) {
    lines.push(
      `| ${[
        r.name,
        r.value === null ? 'n/a' : `${r.value} ${r.unit}`,
        r.reference ?? '—',
        r.reference_value === null ? '—' : `${r.reference_value} ${r.unit}`,
        r.ratio ?? '—',
        r.target ?? '—',
        r.holds === null ? '—' : r.holds ? 'yes' : 'NO',
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** `node bench/x.mjs [--quick]`: run and print one table. */
export async function runDirectly(metaUrl, run) {
  if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(metaUrl)) {
    const rows = await run({ quick: process.argv.includes('--quick') });
    console.log(markdownTable(rows));
  }
}
