/* global process */
// Backfill: `scan` of a bucket of 1,000,000 files (--quick: 100,000) keeps its memory bounded.
// The bucket is synthetic (a store that makes up its listing pages and answers stat, holding
// nothing), so the figure is switchyard's own: the listing, the routing pool, the summary and
// a SQLite ledger recording each file as unrouted. The reference is the same scan of a tenth
// of the files in the same run: peak RSS at 10× the files over it is the ratio (bounded ≈ 1).
// Files/s are reported beside it.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeCommand, row, runDirectly, tempDir, timed } from './lib/common.mjs';

const SCRIPT = fileURLToPath(import.meta.url);
const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
synth,in,\\.never$,out,done,
`;
const RSS_TARGET_MIB = 256;

/** A bucket of `count` files `f0000000.dat`… listed page by page and stat'ed on demand, never held. */
function syntheticStore(count) {
  const created = new Date('2026-01-01T00:00:00Z');
  const keyOf = (i) => `f${String(i).padStart(7, '0')}.dat`;
  const info = (bucket, i) => ({
    bucket,
    key: keyOf(i),
    generation: `g${i}`,
    size: 4096,
    created,
    updated: created,
    metadata: {},
  });
  const unsupported = () => {
    throw new Error('synthetic store: read-only listing');
  };
  return {
    backend: 'memory',
    name: 'synthetic',
    capabilities: {},
    async list(bucket, options = {}) {
      const start = options.pageToken ? Number(options.pageToken.slice(1, 8)) + 1 : 0;
      const end = Math.min(count, start + (options.pageSize ?? 1000));
      const items = [];
      for (let i = start; i < end; i++) items.push(info(bucket, i));
      return end < count ? { items, nextPageToken: keyOf(end - 1) } : { items };
    },
    async stat(bucket, key) {
      const i = Number(key.slice(1, 8));
      return Number.isInteger(i) && i < count ? info(bucket, i) : undefined;
    },
    read: unsupported,
    write: unsupported,
    delete: unsupported,
    copy: unsupported,
    canCopyFrom: () => false,
  };
}

/** The child: one scan of `count` synthetic files; prints files/s as JSON. */
async function child(count, dir) {
  const { loadConfig } = await import('../dist/config/load.js');
  const { openContext } = await import('../dist/runtime/context.js');
  const { scan } = await import('../dist/modes/scan.js');
  const { silentLogger } = await import('../dist/util/log.js');
  const config = await loadConfig({}, {}, dir);
  const ctx = await openContext(config, silentLogger());
  ctx.stores.register('synth', syntheticStore(count));
  const started = performance.now();
  try {
    const report = await scan(ctx, { concurrency: config.concurrency, details: false });
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      JSON.stringify({
        listed: report.listed,
        unrouted: report.unrouted,
        filesPerSecond: report.listed / seconds,
      }),
    );
  } finally {
    await ctx.close();
  }
}

async function measure(count) {
  const tmp = await tempDir('backfill');
  try {
    await mkdir(path.join(tmp.dir, 'data'), { recursive: true });
    await writeFile(path.join(tmp.dir, 'routes.csv'), ROUTES);
    const [command, args] = nodeCommand(SCRIPT, ['--child', String(count), tmp.dir]);
    const run = await timed(command, args);
    if (run.code !== 0) throw new Error(`scan of ${count} files exited ${run.code}: ${run.stderr}`);
    const out = JSON.parse(run.stdout);
    if (out.listed !== count || out.unrouted !== count) throw new Error(`scan of ${count}: ${run.stdout}`);
    return { rssMiB: run.maxRssBytes / 2 ** 20, filesPerSecond: out.filesPerSecond };
  } finally {
    await tmp.remove();
  }
}

export async function run({ quick = false } = {}) {
  const count = quick ? 100_000 : 1_000_000;
  const reference = await measure(count / 10);
  const full = await measure(count);
  const label = count.toLocaleString('en-US');
  return [
    row(`backfill: scan of ${label} files, peak RSS`, full.rssMiB, 'MiB', {
      reference: `the same scan of ${(count / 10).toLocaleString('en-US')} files`,
      referenceValue: reference.rssMiB,
      lowerIsBetter: true,
      target: `< ${RSS_TARGET_MIB} MiB, ratio ≤ 1.5`,
      holds: full.rssMiB < RSS_TARGET_MIB && full.rssMiB / reference.rssMiB <= 1.5,
    }),
    row(`backfill: scan of ${label} files, files/s`, full.filesPerSecond, 'files/s', {
      reference: `the same scan of ${(count / 10).toLocaleString('en-US')} files`,
      referenceValue: reference.filesPerSecond,
    }),
  ];
}

if (process.argv[2] === '--child') {
  await child(Number(process.argv[3]), process.argv[4]);
} else {
  await runDirectly(import.meta.url, run);
}
