// 10,000 × 4 KiB files moved fs→fs end to end (listing, matching, ledger, rename),
// against `rclone move` with the same include rules, in the same run.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI, have, nodeCommand, row, runDirectly, syncFs, tempDir, timed } from './lib/common.mjs';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
source_bucket,raw_data,^finance.*\\.csv$,finance,raw_data,
source_bucket,raw_data,^sale.*\\.csv$,sales,raw_data,
`;

async function landFiles(root, count) {
  const dir = path.join(root, 'data', 'source_bucket', 'raw_data');
  await mkdir(dir, { recursive: true });
  const body = Buffer.alloc(4096, 'x');
  const names = [];
  for (let i = 0; i < count; i++)
    names.push(`${i % 2 ? 'finance' : 'sale'}_${String(i).padStart(6, '0')}.csv`);
  for (let i = 0; i < names.length; i += 256) {
    await Promise.all(names.slice(i, i + 256).map((n) => writeFile(path.join(dir, n), body)));
  }
  await writeFile(path.join(root, 'routes.csv'), ROUTES);
  syncFs();
  return dir;
}

async function countFiles(dir) {
  return (await readdir(dir).catch(() => [])).length;
}

export async function run({ quick = false } = {}) {
  const count = quick ? 2000 : 10_000;
  const rows = [];
  const ours = await tempDir('fsmove');
  try {
    await landFiles(ours.dir, count);
    const [cmd, args] = nodeCommand(CLI, ['scan', '--json', '--log-level', 'error']);
    const r = await timed(cmd, args, { cwd: ours.dir });
    if (r.code !== 0) throw new Error(`switchyard scan failed: ${r.stderr}`);
    const moved =
      (await countFiles(path.join(ours.dir, 'data/finance/raw_data'))) +
      (await countFiles(path.join(ours.dir, 'data/sales/raw_data')));
    if (moved !== count) throw new Error(`switchyard moved ${moved} of ${count}`);
    const filesPerSec = count / (r.ms / 1000);

    let rcloneRate = null;
    if (have('rclone')) {
      const theirs = await tempDir('fsmove-rclone');
      try {
        const src = await landFiles(theirs.dir, count);
        const started = process.hrtime.bigint();
        for (const [include, dest] of [
          ['finance*.csv', 'finance'],
          ['sale*.csv', 'sales'],
        ]) {
          const rr = await timed('rclone', [
            'move',
            src,
            path.join(theirs.dir, 'data', dest, 'raw_data'),
            '--include',
            include,
            '--config',
            '/dev/null',
            '-q',
          ]);
          if (rr.code !== 0) throw new Error(`rclone failed: ${rr.stderr}`);
        }
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        rcloneRate = count / (ms / 1000);
      } finally {
        await theirs.remove();
      }
    }
    rows.push(
      row(`fs→fs move, ${count} × 4 KiB files (ledger included)`, filesPerSec, 'files/s', {
        reference:
          rcloneRate === null ? 'rclone move (missing: apt-get install -y rclone)' : 'rclone move --include',
        referenceValue: rcloneRate,
        target: 'faster than rclone',
        holds: rcloneRate === null ? null : filesPerSec > rcloneRate,
      }),
    );
    rows.push(row(`fs→fs move, ${count} files: switchyard peak RSS`, r.maxRssBytes / 2 ** 20, 'MiB'));
  } finally {
    await ours.remove();
  }
  return rows;
}

await runDirectly(import.meta.url, run);
