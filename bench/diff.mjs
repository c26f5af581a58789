/* global process */
// Referential diff: `diffFiles` (what `switchyard diff` lists and plans) over a bucket of
// 1,000,000 files (--quick: 100,000) keeps its memory bounded. The bucket is synthetic (a store
// that makes up its listing pages, holding nothing); NEW changes every file's destination and
// sends a tenth of them to a route OLD does not have, so each file is planned twice and counted.
// The reference is the same diff of a tenth of the files in the same run: peak RSS at 10× the
// files over it is the ratio (bounded ≈ 1). Files/s are reported beside it.
import { fileURLToPath } from 'node:url';
import { nodeCommand, row, runDirectly, timed } from './lib/common.mjs';

const SCRIPT = fileURLToPath(import.meta.url);
const HEAD =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,route_id';
const OLD = `${HEAD}\nsynth,in,\\.dat$,out,done,{yyyy},all\n`;
const NEW = `${HEAD}\nsynth,in,\\.dat$,out,done,{yyyy}/{mm},all\nsynth,in,0\\.dat$,out,tenth,,tenth\n`;
const RSS_TARGET_MIB = 192;

/** A bucket of `count` files `f0000000.dat`… listed page by page, never held. */
function syntheticStore(count) {
  const created = new Date('2026-01-01T00:00:00Z');
  const keyOf = (i) => `f${String(i).padStart(7, '0')}.dat`;
  return {
    async list(bucket, options = {}) {
      const start = options.pageToken ? Number(options.pageToken.slice(1, 8)) + 1 : 0;
      const end = Math.min(count, start + (options.pageSize ?? 1000));
      const items = [];
      for (let i = start; i < end; i++)
        items.push({
          bucket,
          key: keyOf(i),
          generation: `g${i}`,
          size: 4096,
          created,
          updated: created,
          metadata: {},
        });
      return end < count ? { items, nextPageToken: keyOf(end - 1) } : { items };
    },
  };
}

/** The child: one diff of `count` synthetic files; prints its counts and files/s as JSON. */
async function child(count) {
  const { loadReferentialText, validateRows } = await import('../dist/referential/index.js');
  const { referentialOf } = await import('../dist/referential/referential.js');
  const { diffFiles } = await import('../dist/modes/files-diff.js');
  const load = (text, name) =>
    referentialOf(validateRows(loadReferentialText(text, name), { source: name }).routes, name);
  const store = syntheticStore(count);
  const started = performance.now();
  const result = await diffFiles(load(OLD, 'old.csv'), load(NEW, 'new.csv'), { storeFor: async () => store });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    JSON.stringify({
      listed: result.listed,
      changed: result.changed,
      pairs: result.byRoute.length,
      filesPerSecond: result.listed / seconds,
    }),
  );
}

async function measure(count) {
  const [command, args] = nodeCommand(SCRIPT, ['--child', String(count)]);
  const run = await timed(command, args);
  if (run.code !== 0) throw new Error(`diff of ${count} files exited ${run.code}: ${run.stderr}`);
  const out = JSON.parse(run.stdout);
  if (out.listed !== count || out.changed !== count || out.pairs !== 2)
    throw new Error(`diff of ${count}: ${run.stdout}`);
  return { rssMiB: run.maxRssBytes / 2 ** 20, filesPerSecond: out.filesPerSecond };
}

export async function run({ quick = false } = {}) {
  const count = quick ? 100_000 : 1_000_000;
  const reference = await measure(count / 10);
  const full = await measure(count);
  const label = count.toLocaleString('en-US');
  const tenth = (count / 10).toLocaleString('en-US');
  return [
    row(`diff: files of ${label} listed and planned twice, peak RSS`, full.rssMiB, 'MiB', {
      reference: `the same diff of ${tenth} files`,
      referenceValue: reference.rssMiB,
      lowerIsBetter: true,
      target: `< ${RSS_TARGET_MIB} MiB, ratio ≤ 1.5`,
      holds: full.rssMiB < RSS_TARGET_MIB && full.rssMiB / reference.rssMiB <= 1.5,
    }),
    row(`diff: files of ${label} listed and planned twice, files/s`, full.filesPerSecond, 'files/s', {
      reference: `the same diff of ${tenth} files`,
      referenceValue: reference.filesPerSecond,
    }),
  ];
}

if (process.argv[2] === '--child') {
  await child(Number(process.argv[3]));
} else {
  await runDirectly(import.meta.url, run);
}
