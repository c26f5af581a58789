// Matching throughput: switchyard's matcher (literal prefilter + re2js) against
// a naive loop that runs every row's mask as a plain JavaScript RegExp on every
// name. Run `npm run build` first; then `node bench/match.mjs [--quick]`.
import { argv, cpuUsage, hrtime, stdout } from 'node:process';
import { pathToFileURL } from 'node:url';
import { compileReferential } from '../dist/referential/index.js';
import { DOMAINS } from './lib/names.mjs';

const HEADER = [
  'source_project',
  'source_bucket',
  'source_file_mask',
  'destination_project',
  'destination_bucket',
  'destination_directory',
];
const TARGET = 1_000_000;

const COUNTRIES = ['fr', 'de', 'es', 'it', 'uk', 'us', 'nl', 'be'];

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = (rnd, items) => items[Math.floor(rnd() * items.length)];
const digits = (rnd, n) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('');
const pad = (n, w) => String(n).padStart(w, '0');

/**
 * Row shapes: each mask has a literal part, as referentials do. `example`
 * builds a name the mask matches.
 */
const SHAPES = [
  {
    mask: (w) => `^${w}_(?P<country>[a-z]{2})_\\d{8}\\.csv$`,
    dir: 'by-country/{country}/{yyyy}',
    example: (w, rnd) => `${w}_${pick(rnd, COUNTRIES)}_2024${digits(rnd, 4)}.csv`,
  },
  {
    mask: (w) => `${w}.*\\.csv`,
    dir: '{yyyy}/{mm}',
    example: (w, rnd) => `${w}_export_${digits(rnd, 6)}.csv`,
  },
  {
    mask: (w) => `(?i)${w}_report`,
    dir: 'reports',
    example: (w, rnd) => `Q${1 + Math.floor(rnd() * 4)}_${w.toUpperCase()}_REPORT.pdf`,
  },
  { mask: (w) => `_${w}\\.parquet$`, dir: '', example: (w, rnd) => `part-${digits(rnd, 5)}_${w}.parquet` },
  {
    mask: (w) => `^${w}_\\d{4}-\\d{2}-\\d{2}\\.json(\\.gz)?$`,
    dir: 'daily/{stem}',
    example: (w, rnd) =>
      `${w}_2024-${pad(1 + Math.floor(rnd() * 12), 2)}-${pad(1 + Math.floor(rnd() * 28), 2)}.json${rnd() < 0.5 ? '.gz' : ''}`,
  },
  {
    mask: (w) => `^(?P<vendor>acme|globex|initech)_(?P<batch>\\d+)_${w}\\.(csv|tsv)$`,
    dir: 'vendors/{vendor}/{batch}',
    example: (w, rnd) =>
      `${pick(rnd, ['acme', 'globex', 'initech'])}_${digits(rnd, 3)}_${w}.${pick(rnd, ['csv', 'tsv'])}`,
  },
];

/** Names that no row matches: the other ~90% of what lands in a bucket. */
const NOISE = [
  (rnd) => `tmp_${digits(rnd, 8)}.log`,
  (rnd) => `IMG_${digits(rnd, 4)}.jpg`,
  (rnd) => `backup-2024${digits(rnd, 4)}.tar.gz`,
  (rnd) => `data_export_${digits(rnd, 6)}.csv`,
  (rnd) => `report_final_v${digits(rnd, 1)}.docx`,
  (rnd) => `part-${digits(rnd, 5)}-c000.snappy.parquet`,
  (rnd) => `${pick(rnd, COUNTRIES)}_daily_${digits(rnd, 8)}.json`,
  () => `.DS_Store`,
  (rnd) => `events_${digits(rnd, 10)}.avro`,
  (rnd) => `README_${digits(rnd, 2)}.txt`,
];

function referentialRows(count) {
  const rows = [];
  for (let i = 0; rows.length < count; i++) {
    const shape = SHAPES[i % SHAPES.length];
    const base = DOMAINS[Math.floor(i / SHAPES.length) % DOMAINS.length];
    const word =
      i < DOMAINS.length * SHAPES.length
        ? base
        : `${base}${pad(Math.floor(i / (DOMAINS.length * SHAPES.length)), 4)}`;
    rows.push({
      word,
      shape,
      fields: ['landing', 'inbox', shape.mask(word), `dest${i % 7}`, `bucket${i % 13}`, shape.dir],
    });
  }
  return rows;
}

function namesFor(rows, count, matchShare, rnd) {
  const names = new Array(count);
  for (let i = 0; i < count; i++) {
    if (rnd() < matchShare) {
      const row = pick(rnd, rows);
      names[i] = row.shape.example(row.word, rnd);
    } else {
      names[i] = pick(rnd, NOISE)(rnd);
    }
  }
  return names;
}

function compile(rows) {
  return compileReferential(
    rows.map((r, i) => ({
      file: 'bench.csv',
      line: i + 2,
      fields: Object.fromEntries(HEADER.map((h, k) => [h, r.fields[k]])),
    })),
    'bench.csv',
  );
}

/** The reference: every mask as a JS RegExp (RE2 `(?P<n>` → `(?<n>`, leading `(?i)` → flag `i`), every name. */
function naiveMatcher(rows) {
  const compiled = rows.map((r) => {
    const raw = r.fields[2];
    const insensitive = raw.startsWith('(?i)');
    const source = (insensitive ? raw.slice(4) : raw).replaceAll('(?P<', '(?<');
    const re = new RegExp(source, insensitive ? 'iu' : 'u');
    return { re, groups: /\(\?P?</.test(raw) };
  });
  return (name) => {
    const out = [];
    for (const c of compiled) {
      if (!c.groups) {
        if (c.re.test(name)) out.push({ groups: {} });
      } else {
        const m = c.re.exec(name);
        if (m) out.push({ groups: { ...m.groups } });
      }
    }
    return out;
  };
}

/**
 * Names per second of CPU time of this process (one thread: one core), so a
 * machine shared with other work does not skew the figure; wall time is kept
 * in the details.
 */
function time(names, fn) {
  let matched = 0;
  const warm = Math.min(names.length, 20_000);
  for (let i = 0; i < warm; i++) fn(names[i]);
  const wallStart = hrtime.bigint();
  const cpuStart = cpuUsage();
  for (let i = 0; i < names.length; i++) if (fn(names[i]).length > 0) matched++;
  const cpu = cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const wallSeconds = Number(hrtime.bigint() - wallStart) / 1e9;
  return { perSecond: names.length / cpuSeconds, wallPerSecond: names.length / wallSeconds, matched };
}

/** Runs the matching benchmarks and returns one result object per figure. */
export function run({ quick = false } = {}) {
  const rnd = random(42);
  const results = [];

  const rows = referentialRows(100);
  const names = namesFor(rows, quick ? 200_000 : 1_000_000, 0.1, rnd);
  const referential = compile(rows);
  const fast = time(names, (n) => referential.match('landing', 'inbox', n));
  const naive = time(names, naiveMatcher(rows));
  if (fast.matched !== naive.matched) {
    throw new Error(
      `[bench] [match] switchyard matched ${fast.matched} names, the RegExp loop ${naive.matched}: expected equal`,
    );
  }
  results.push({
    name: 'match: 100-row referential (names per CPU-second, one core)',
    value: Math.round(fast.perSecond),
    unit: 'names/s',
    reference: 'plain JS RegExp loop over every row',
    reference_value: Math.round(naive.perSecond),
    ratio: Number((fast.perSecond / naive.perSecond).toFixed(2)),
    target: `>= ${TARGET}`,
    holds: fast.perSecond >= TARGET,
    detail: {
      names: names.length,
      matched_share: Number((fast.matched / names.length).toFixed(3)),
      wall_names_per_s: Math.round(fast.wallPerSecond),
      reference_wall_names_per_s: Math.round(naive.wallPerSecond),
    },
  });

  const bigRows = referentialRows(10_000);
  const bigNames = namesFor(bigRows, quick ? 50_000 : 200_000, 0.1, rnd);
  const compileStart = hrtime.bigint();
  const big = compile(bigRows);
  const compileSeconds = Number(hrtime.bigint() - compileStart) / 1e9;
  const bigFast = time(bigNames, (n) => big.match('landing', 'inbox', n));
  const bigNaiveNames = bigNames.slice(0, quick ? 500 : 2_000);
  const bigNaive = time(bigNaiveNames, naiveMatcher(bigRows));
  results.push({
    name: 'match: 10,000-row referential (names per CPU-second, one core)',
    value: Math.round(bigFast.perSecond),
    unit: 'names/s',
    reference: 'plain JS RegExp loop over every row',
    reference_value: Math.round(bigNaive.perSecond),
    ratio: Number((bigFast.perSecond / bigNaive.perSecond).toFixed(2)),
    target: null,
    holds: null,
    detail: {
      names: bigNames.length,
      matched_share: Number((bigFast.matched / bigNames.length).toFixed(3)),
      wall_names_per_s: Math.round(bigFast.wallPerSecond),
      compile_and_validate_wall_s: Number(compileSeconds.toFixed(2)),
    },
  });
  return results;
}

function fmt(n) {
  return n === null || n === undefined ? '—' : typeof n === 'number' ? n.toLocaleString('en-US') : String(n);
}

if (import.meta.url === pathToFileURL(argv[1] ?? '').href) {
  const results = run({ quick: argv.includes('--quick') });
  stdout.write('| benchmark | switchyard | reference | reference value | ratio | target | holds |' + '\n');
  stdout.write('|---|---|---|---|---|---|---|' + '\n');
  for (const r of results) {
    stdout.write(
      `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.reference} | ${fmt(r.reference_value)} ${r.unit} | ${r.ratio}× | ${r.target ?? 'none'} | ${fmt(r.holds)} |` +
        '\n',
    );
  }
  for (const r of results) stdout.write(`<!-- ${r.name}: ${JSON.stringify(r.detail)} -->` + '\n');
}
