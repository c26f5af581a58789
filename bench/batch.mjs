// One drain (`switchyard batch`) of queued notifications of small files,
// fs + SQLite (ledger and queue): files per second and the drain's peak RSS,
// measured in the child process. 100,000 files; --quick: 10,000.
import { Buffer } from 'node:buffer';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI, nodeCommand, row, runDirectly, syncFs, tempDir, timed } from './lib/common.mjs';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
source_bucket,raw_data,^finance.*\\.csv$,finance,raw_data,
source_bucket,raw_data,^sale.*\\.csv$,sales,raw_data,
`;

async function landAndQueue(root, count) {
  const dir = path.join(root, 'data', 'source_bucket', 'raw_data');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(root, 'routes.csv'), ROUTES);
  const { openSqliteQueue } = await import('../dist/queue/sqlite/queue.js');
  const queue = await openSqliteQueue(path.join(root, '.switchyard', 'queue.db'));
  try {
    const body = Buffer.alloc(512, 'x');
    for (let i = 0; i < count; i += 1000) {
      const names = [];
      for (let j = i; j < Math.min(count, i + 1000); j++)
        names.push(`${j % 2 ? 'finance' : 'sale'}_${String(j).padStart(6, '0')}.csv`);
      await Promise.all(names.map((n) => writeFile(path.join(dir, n), body)));
      await queue.publish(
        names.map((key) => ({
          project: 'source_bucket',
          bucket: 'raw_data',
          key,
          size: body.length,
          origin: 'fs',
        })),
      );
    }
  } finally {
    await queue.close();
  }
  syncFs();
}

async function countFiles(dir) {
  return (await readdir(dir).catch(() => [])).length;
}

export async function run({ quick = false } = {}) {
  const count = quick ? 10_000 : 100_000;
  const work = await tempDir('batch');
  try {
    await landAndQueue(work.dir, count);
    const [cmd, args] = nodeCommand(CLI, ['batch', '--json', '--log-level', 'error']);
    const r = await timed(cmd, args, { cwd: work.dir });
    if (r.code !== 0) throw new Error(`switchyard batch failed (${r.code}): ${r.stderr}`);
    const report = JSON.parse(r.stdout);
    const moved =
      (await countFiles(path.join(work.dir, 'data/finance/raw_data'))) +
      (await countFiles(path.join(work.dir, 'data/sales/raw_data')));
    if (report.routed !== count || moved !== count)
      throw new Error(`switchyard batch routed ${report.routed} (${moved} files moved) of ${count}`);
    return [
      row(
        `batch drain, ${count} queued notifications of 512 B files (fs + SQLite)`,
        count / (r.ms / 1000),
        'files/s',
      ),
      row(`batch drain, ${count} files: peak RSS`, r.maxRssBytes / 2 ** 20, 'MiB'),
      row(
        `batch drain, ${count} files: pulls (${Math.round(count / report.batches)} messages each on average)`,
        report.batches,
        'batches',
      ),
    ];
  } finally {
    await work.remove();
  }
}

await runDirectly(import.meta.url, run);
