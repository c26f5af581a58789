// One large file (1 GiB; --quick: 256 MiB) copied *and verified* by switchyard vs `cp` and
// `rclone copyto` (which also verifies), moved within one filesystem vs `mv`, and
// switchyard's peak RSS, all in the same run. switchyard's copy is on disk (fsynced)
// before it is recorded; cp and rclone leave it to the page cache, so the same file
// written with `dd conv=fsync` is reported too: the disk's floor for a durable copy.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI, have, median, nodeCommand, row, runDirectly, syncFs, tempDir, timed } from './lib/common.mjs';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action';

async function makeFile(file, bytes) {
  await mkdir(path.dirname(file), { recursive: true });
  const block = randomBytes(4 * 1024 * 1024);
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < bytes; written += block.length) {
      await handle.write(block, 0, Math.min(block.length, bytes - written));
    }
  } finally {
    await handle.close();
  }
}

async function switchyard(dir, action) {
  await writeFile(path.join(dir, 'routes.csv'), `${HEADER}\nland,in,\\.bin$,out,raw,,${action}\n`);
  await rm(path.join(dir, '.switchyard'), { recursive: true, force: true });
  const [cmd, args] = nodeCommand(CLI, ['scan', '--json', '--log-level', 'error']);
  const r = await timed(cmd, args, { cwd: dir });
  if (r.code !== 0) throw new Error(`switchyard ${action} failed: ${r.stderr}`);
  const report = JSON.parse(r.stdout);
  if (report.routed !== 1) throw new Error(`switchyard ${action} routed ${report.routed}`);
  return r;
}

export async function run({ quick = false } = {}) {
  const bytes = (quick ? 256 : 1024) * 1024 * 1024;
  const label = quick ? '256 MiB' : '1 GiB';
  const rounds = quick ? 2 : 3;
  const { dir, remove } = await tempDir('copy');
  const rows = [];
  try {
    const src = path.join(dir, 'data', 'land', 'in', 'big.bin');
    await makeFile(src, bytes);
    syncFs();
    const out = path.join(dir, 'data', 'out', 'raw', 'big.bin');

    const ours = [];
    const rss = [];
    const cp = [];
    const rclone = [];
    const durable = [];
    for (let i = 0; i < rounds; i++) {
      await rm(out, { force: true });
      syncFs();
      const r = await switchyard(dir, 'copy');
      ours.push(r.ms);
      rss.push(r.maxRssBytes);
      await rm(out, { force: true });
      syncFs();
      cp.push((await timed('cp', [src, out])).ms);
      // the disk's floor for any copy that is on disk when it returns (switchyard fsyncs; cp and rclone do not)
      await rm(out, { force: true });
      syncFs();
      durable.push((await timed('dd', [`if=${src}`, `of=${out}`, 'bs=8M', 'conv=fsync', 'status=none'])).ms);
      if (have('rclone')) {
        await rm(out, { force: true });
        syncFs();
        const rr = await timed('rclone', ['copyto', src, out, '--config', '/dev/null', '-q']);
        if (rr.code !== 0) throw new Error(`rclone failed: ${rr.stderr}`);
        rclone.push(rr.ms);
      }
    }
    const oursMs = median(ours);
    const cpMs = median(cp);
    rows.push(
      row(`${label} copy + verify vs cp`, oursMs / 1000, 's', {
        reference: 'cp',
        referenceValue: cpMs / 1000,
        target: '≤ 2× cp',
        holds: oursMs <= 2 * cpMs,
        lowerIsBetter: true,
      }),
    );
    if (rclone.length) {
      const rcloneMs = median(rclone);
      rows.push(
        row(`${label} copy + verify vs rclone copyto`, oursMs / 1000, 's', {
          reference: 'rclone copyto',
          referenceValue: rcloneMs / 1000,
          target: '≤ 0.5× rclone',
          holds: oursMs <= 0.5 * rcloneMs,
          lowerIsBetter: true,
        }),
      );
    } else {
      rows.push(
        row(`${label} copy + verify vs rclone copyto`, oursMs / 1000, 's', {
          reference: 'rclone (missing: apt-get install -y rclone)',
          target: '≤ 0.5× rclone',
        }),
      );
    }
    rows.push(
      row(`${label} copy + verify vs a durable write (dd conv=fsync)`, oursMs / 1000, 's', {
        reference: 'dd conv=fsync (no verify)',
        referenceValue: median(durable) / 1000,
        lowerIsBetter: true,
      }),
    );
    const peak = Math.max(...rss) / 2 ** 20;
    rows.push(
      row(`${label} copy: switchyard peak RSS`, peak, 'MiB', { target: '< 150 MiB', holds: peak < 150 }),
    );

    // Same-filesystem move: a rename, against mv.
    await rm(out, { force: true });
    const moved = await switchyard(dir, 'move');
    const back = path.join(dir, 'data', 'land', 'in', 'big.bin');
    const mv = await timed('mv', [out, back]);
    rows.push(
      row(`${label} move within one filesystem vs mv`, moved.ms / 1000, 's', {
        reference: 'mv',
        referenceValue: mv.ms / 1000,
        target: 'near-instant (rename)',
        holds: moved.ms < 2000,
        lowerIsBetter: true,
      }),
    );
  } finally {
    await remove();
  }
  return rows;
}

await runDirectly(import.meta.url, run);
