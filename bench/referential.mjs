// A large referential: `switchyard validate` of 50,000 rows (10 source buckets
// × 5,000 rows) and of 5,000 rows, and a `switchyard scan` of a data root
// holding one file with the 50,000-row referential; wall time and peak RSS of
// each child process. Start-up (validate of a 10-row referential) is measured
// in the same run, so linearity is (50k − start-up) / (5k − start-up). Then
// what a file costs a scan, beyond the scan of one: 1,000 files (--quick;
// else 5,000) of one bucket, each routed by a row of its own, scanned with
// the 50,000 rows and with that bucket's 5,000 alone (target: no dearer per
// file with ten times the rows).
// Run `npm run build` first; then `node bench/referential.mjs [--quick]`.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI, median, nodeCommand, row, runDirectly, tempDir, timed } from './lib/common.mjs';
import { DOMAINS } from './lib/names.mjs';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict';
const BUCKETS = 10;
const SECONDS = 5;
const MIB = 400;
const LINEARITY = 12;
/** A file's cost to a scan with 50,000 rows, against with 5,000: at most this. */
const PER_FILE_RATIO = 1.5;

/**
 * Mask shapes as referentials write them (the seed's `finance.*.csv`, anchored
 * prefixes with dates, named groups, case-insensitive reports, suffixes), each
 * with a word of its own so the rows validate; `example` is a name it matches.
 */
const SHAPES = [
  {
    mask: (w) => `^${w}_(?P<country>[a-z]{2})_\\d{8}\\.csv$`,
    dir: 'by-country/{country}/{yyyy}',
    example: (w) => `${w}_fr_20240131.csv`,
  },
  { mask: (w) => `${w}.*\\.csv`, dir: '{yyyy}/{mm}', example: (w) => `${w}_export_000123.csv` },
  { mask: (w) => `(?i)${w}_report`, dir: 'reports', example: (w) => `Q1_${w.toUpperCase()}_REPORT.pdf` },
  { mask: (w) => `_${w}\\.parquet$`, dir: 'parquet', example: (w) => `part-00001_${w}.parquet` },
  {
    mask: (w) => `^${w}_\\d{4}-\\d{2}-\\d{2}\\.json(\\.gz)?$`,
    dir: 'daily/{stem}',
    example: (w) => `${w}_2024-03-15.json.gz`,
  },
  {
    mask: (w) => `^(?P<vendor>acme|globex|initech)_(?P<batch>\\d+)_${w}\\.(csv|tsv)$`,
    dir: 'vendors/{vendor}/{batch}',
    example: (w) => `globex_042_${w}.tsv`,
  },
];

const bucketName = (b) => `landing-${String(b).padStart(2, '0')}`;

function rowOf(b, i) {
  const shape = SHAPES[i % SHAPES.length];
  const domain = DOMAINS[Math.floor(i / SHAPES.length) % DOMAINS.length];
  // one word per row of the whole referential: no two rows share a mask, so
  // nothing is compiled once for several buckets
  const word = `${domain}${String(b * 10_000 + i).padStart(6, '0')}`;
  return {
    word,
    shape,
    line: [
      'ingest',
      bucketName(b),
      shape.mask(word),
      `dwh-${domain}`,
      `raw-${String(b).padStart(2, '0')}`,
      shape.dir,
      i % 4 === 0 ? 'copy' : 'move',
      i % 3 === 0 ? 'version' : 'fail',
    ].join(','),
  };
}

/** `perBucket` rows in each of `buckets` source buckets; one bucket's rows send to its own destination buckets. */
function referentialCsv(buckets, perBucket) {
  const lines = [HEADER];
  for (let b = 0; b < buckets; b++) for (let i = 0; i < perBucket; i++) lines.push(rowOf(b, i).line);
  return `${lines.join('\n')}\n`;
}

async function workDir(name, buckets, perBucket) {
  const work = await tempDir(`referential-${name}`);
  await mkdir(path.join(work.dir, 'data'), { recursive: true });
  await writeFile(path.join(work.dir, 'routes.csv'), referentialCsv(buckets, perBucket));
  return work;
}

async function cli(cwd, args) {
  const [cmd, argv] = nodeCommand(CLI, args);
  const r = await timed(cmd, argv, { cwd });
  if (r.code !== 0)
    throw new Error(`switchyard ${args.join(' ')} failed (${r.code}): ${r.stderr.slice(0, 2000)}`);
  return r;
}

async function validate(cwd, rows) {
  const r = await cli(cwd, ['validate', '--json']);
  const report = JSON.parse(r.stdout);
  if (!report.ok || report.routes !== rows)
    throw new Error(`validate: expected ok with ${rows} routes, got ${JSON.stringify(report).slice(0, 500)}`);
  return { ms: r.ms, rss: r.maxRssBytes, warnings: report.warnings.length };
}

/** A scan of a data root holding one file a row of bucket `b` (the 7th unless told) routes. */
async function scanOne(cwd, perBucket, b = 7) {
  const i = Math.floor(perBucket * 0.6);
  const { word, shape } = rowOf(b, i);
  const name = shape.example(word);
  const source = path.join(cwd, 'data', 'ingest', bucketName(b));
  await mkdir(source, { recursive: true });
  await writeFile(path.join(source, name), 'a,b\n1,2\n');
  const r = await cli(cwd, ['scan', '--json', '--log-level', 'error']);
  const report = JSON.parse(r.stdout);
  const left = await readdir(source);
  if (report.routed !== 1 || left.length !== (i % 4 === 0 ? 1 : 0))
    throw new Error(`scan: expected the one file routed, got ${r.stdout.slice(0, 500)}; left ${left}`);
  return { ms: r.ms, rss: r.maxRssBytes };
}

/** A scan of `count` files of bucket 0, the file of row i for each i < count; wall time. */
async function scanMany(cwd, count) {
  const source = path.join(cwd, 'data', 'ingest', bucketName(0));
  await mkdir(source, { recursive: true });
  for (let i = 0; i < count; i++) {
    const { word, shape } = rowOf(0, i);
    await writeFile(path.join(source, shape.example(word)), 'a,b\n1,2\n');
  }
  const r = await cli(cwd, ['scan', '--log-level', 'error', '--json']);
  const report = JSON.parse(r.stdout);
  if (report.routed !== count || report.failed !== 0)
    throw new Error(`scan: expected ${count} files routed, got ${r.stdout.slice(0, 500)}`);
  return r.ms;
}

/** Milliseconds a file adds to a scan with `buckets` × `perBucket` rows: (scan of `count` − scan of one) / (count − 1). */
async function perFileMs(buckets, perBucket, count) {
  const one = await workDir(`one-${buckets}`, buckets, perBucket);
  const many = await workDir(`many-${buckets}`, buckets, perBucket);
  try {
    const single = (await scanOne(one.dir, perBucket, 0)).ms;
    return ((await scanMany(many.dir, count)) - single) / (count - 1);
  } finally {
    await Promise.all([one.remove(), many.remove()]);
  }
}

export async function run({ quick = false } = {}) {
  const repeat = quick ? 1 : 3;
  const perBucket = 5_000;
  const tiny = await workDir('startup', 1, 10);
  const small = await workDir('5k', 1, perBucket);
  const large = await workDir('50k', BUCKETS, perBucket);
  try {
    const runs = { start: [], small: [], large: [], scan: [] };
    for (let k = 0; k < repeat; k++) {
      runs.start.push(await validate(tiny.dir, 10));
      runs.small.push(await validate(small.dir, perBucket));
      runs.large.push(await validate(large.dir, BUCKETS * perBucket));
      const scanDir = await workDir(`scan${k}`, BUCKETS, perBucket);
      try {
        runs.scan.push(await scanOne(scanDir.dir, perBucket));
      } finally {
        await scanDir.remove();
      }
    }
    const ms = (list) => median(list.map((r) => r.ms));
    const mib = (list) => median(list.map((r) => r.rss)) / 2 ** 20;
    const start = ms(runs.start);
    const linearity = (ms(runs.large) - start) / (ms(runs.small) - start);
    const rows50 = `${BUCKETS * perBucket} rows (${BUCKETS} buckets × ${perBucket})`;
    const within = (v, max) => v <= max;
    const files = quick ? 1_000 : perBucket;
    const fileLarge = await perFileMs(BUCKETS, perBucket, files);
    const fileSmall = await perFileMs(1, perBucket, files);
    return [
      row('referential: validate, start-up (10 rows)', start / 1000, 's'),
      row(`referential: validate ${perBucket} rows`, ms(runs.small) / 1000, 's'),
      row(`referential: validate ${rows50}`, ms(runs.large) / 1000, 's', {
        target: `<= ${SECONDS} s`,
        holds: within(ms(runs.large) / 1000, SECONDS),
      }),
      row(`referential: scan of one file, ${rows50}`, ms(runs.scan) / 1000, 's', {
        target: `<= ${SECONDS} s`,
        holds: within(ms(runs.scan) / 1000, SECONDS),
      }),
      row(`referential: validate ${perBucket} rows, peak RSS`, mib(runs.small), 'MiB'),
      row(`referential: validate ${rows50}, peak RSS`, mib(runs.large), 'MiB', {
        target: `< ${MIB} MiB`,
        holds: mib(runs.large) < MIB,
      }),
      row(`referential: scan of one file, ${rows50}, peak RSS`, mib(runs.scan), 'MiB', {
        target: `< ${MIB} MiB`,
        holds: mib(runs.scan) < MIB,
      }),
      row(
        `referential: validate linearity, (${BUCKETS * perBucket} rows − start-up) / (${perBucket} rows − start-up)`,
        linearity,
        '×',
        { target: `<= ${LINEARITY}`, holds: within(linearity, LINEARITY) },
      ),
      row(
        `referential: scan of ${files} files, per file beyond the scan of one, ${rows50}`,
        fileLarge,
        'ms',
        {
          reference: `${perBucket} rows (that bucket's alone)`,
          referenceValue: fileSmall,
          target: `<= ${PER_FILE_RATIO}× with ${perBucket} rows`,
          holds: within(fileLarge, fileSmall * PER_FILE_RATIO),
          lowerIsBetter: true,
        },
      ),
    ];
  } finally {
    await Promise.all([tiny.remove(), small.remove(), large.remove()]);
  }
}

await runDirectly(import.meta.url, run);
