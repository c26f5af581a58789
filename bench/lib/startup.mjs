// Start-up: `switchyard scan` of an empty landing folder (the CLI as users run
// it, bin/switchyard.js, no preload), against `node -e 0` (the runtime's own
// start-up), interleaved run by run in the same run so both see the same load.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI, tempDir, timed } from './common.mjs';

const ROUTES =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action\n' +
  'land,in,\\.bin$,out,raw,,copy\n';

const CONFIG = 'projects:\n  land:\n    backend: fs\n  out:\n    backend: fs\n';

/**
 * `rounds` wall times (ms) of each: a scan of an empty tree on a fresh state
 * folder (the ledger created), the same scan on the ledger it left (a cron
 * job's every run), the same again without the bin's V8 code cache (what the
 * first run after an install or upgrade pays), the scan of a tree with a
switchyard.yaml declaring its two projects (its ledger present), and
`node -e 0`. The code
 * cache lives in the bench's own folder (XDG_CACHE_HOME), so it is the
 * bundle's as built, not whatever the user's cache holds. One unmeasured run
 * of each first: the files are in the page cache and the code cache is
 * written before any measured run.
 */
export async function startUpRuns(rounds) {
  const { dir, remove } = await tempDir('startup');
  try {
    await mkdir(path.join(dir, 'data', 'land', 'in'), { recursive: true });
    await writeFile(path.join(dir, 'routes.csv'), ROUTES);
    // the same tree, configured as a deployment is: a switchyard.yaml declaring its projects
    const configured = path.join(dir, 'configured');
    await mkdir(path.join(configured, 'data', 'land', 'in'), { recursive: true });
    await writeFile(path.join(configured, 'routes.csv'), ROUTES);
    await writeFile(path.join(configured, 'switchyard.yaml'), CONFIG);
    const cacheEnv = { ...process.env, XDG_CACHE_HOME: path.join(dir, 'cache') };
    delete cacheEnv.NODE_DISABLE_COMPILE_CACHE;
    const scan = async (env = cacheEnv, cwd = dir) => {
      const r = await timed(process.execPath, [CLI, 'scan', '--json', '--log-level', 'error'], { cwd, env });
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
    const uncached = () => scan({ ...cacheEnv, NODE_DISABLE_COMPILE_CACHE: '1' });
    const withConfig = () => scan(cacheEnv, configured);
    await fresh();
    await node();
    await uncached();
    await withConfig();
    const runs = { fresh: [], again: [], uncached: [], configured: [], node: [] };
    for (let i = 0; i < rounds; i++) {
      runs.node.push(await node());
      runs.fresh.push(await fresh());
      runs.again.push(await scan());
      runs.uncached.push(await uncached());
      runs.configured.push(await withConfig());
    }
    return runs;
  } finally {
    await remove();
  }
}
