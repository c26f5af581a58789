// Start-up: `switchyard scan` of an empty landing folder (the CLI as users run
// it, bin/switchyard.js, no preload), against `node -e 0` (the runtime's own
// start-up), interleaved run by run in the same run so both see the same load.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI, tempDir, timed } from './common.mjs';

const ROUTES =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action\n' +
  'land,in,\\.bin$,out,raw,,copy\n';

/**
 * `rounds` wall times (ms) of each: a scan of an empty tree on a fresh state
 * folder (the ledger created), the same scan on the ledger it left (a cron
 * job's every run), and `node -e 0`. One unmeasured run of each first, so the
 * files are in the page cache for every measured one.
 */
export async function startUpRuns(rounds) {
  const { dir, remove } = await tempDir('startup');
  try {
    await mkdir(path.join(dir, 'data', 'land', 'in'), { recursive: true });
    await writeFile(path.join(dir, 'routes.csv'), ROUTES);
    const scan = async () => {
      const r = await timed(process.execPath, [CLI, 'scan', '--json', '--log-level', 'error'], { cwd: dir });
      if (r.code !== 0) throw new Error(`switchyard scan (start-up) failed: ${r.stderr}`);
      const report = JSON.parse(r.stdout);
      if (report.listed !== 0) throw new Error(`switchyard scan (start-up) listed ${report.listed} files`);
      return r.ms;
    };
    const fresh = async () => {
      await rm(path.join(dir, '.switchyard'), { recursive: true, force: true });
      return scan();
    };
    const node = async () => {
      const r = await timed(process.execPath, ['-e', '0']);
      if (r.code !== 0) throw new Error(`node -e 0 failed: ${r.stderr}`);
      return r.ms;
    };
    await fresh();
    await node();
    const runs = { fresh: [], again: [], node: [] };
    for (let i = 0; i < rounds; i++) {
      runs.node.push(await node());
      runs.fresh.push(await fresh());
      runs.again.push(await scan());
    }
    return runs;
  } finally {
    await remove();
  }
}
