// Runs the folder watcher (from dist/: run `npm run build` first) on the
// workspace given as its first argument until SIGTERM, then stops it gracefully and
// exits 0. Prints `ready` once watching and `stopped` once stopped.
import process from 'node:process';
import { loadConfig } from '../../dist/config/load.js';
import { startWatcher } from '../../dist/triggers/fs-watch/watcher.js';
import { routerSink } from '../../dist/intake/sink.js';
import { silentLogger } from '../../dist/util/log.js';
import { openContext } from '../../dist/runtime/context.js';

const dir = process.argv[2];
const ctx = await openContext(
  await loadConfig({ routes: 'routes.csv', data: 'data', state: 'state' }, {}, dir),
  silentLogger(),
);
const watcher = await startWatcher(ctx, routerSink(ctx.router), { concurrency: 8 });
process.once('SIGTERM', () => {
  void (async () => {
    await watcher.stop();
    await ctx.close();
    process.stdout.write('stopped\n');
    process.exit(0);
  })();
});
process.stdout.write('ready\n');
