import { rm } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, type RuntimeConfig } from '../../src/config/load.js';
import { silentLogger, type Logger } from '../../src/util/log.js';
import type { Metrics } from '../../src/observability/metrics.js';
import type { Context } from '../../src/runtime/context.js';
import { openMeteredContext, startEventMode, type EventMode } from '../../src/modes/event.js';
import type { RouteResult } from '../../src/router/result.js';
import { ensureDashboardBundle } from '../helpers/build.js';
import { Workspace } from '../helpers/workspace.js';

/**
 * Rows for the dashboard tests: three that match the sample files, one that
 * never matches (a row "with no match in the window"), all `on_conflict=fail`
 * so a file already at its destination makes a dead letter.
 */
export const DASHBOARD_ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,route_id
shop,landing,^sale_,sales,raw,incoming/{yyyy},move,fail,sales
shop,landing,^fin_,finance,raw,,move,fail,finance
shop,landing,^never_,archive,cold,,move,fail,never
shop,drop,\\.csv$,sales,raw,drops,copy,fail,drops
partners,invoices,^inv_(?P<partner>[a-z]+)_,finance,invoices,{partner}/{yyyy}/{mm},move,overwrite,invoices
partners,invoices,^inv_,archive,cold,invoices,copy,fail,invoice-archive
`;

export const DASHBOARD_TOKEN = 'dashboard-test-token-5e1b9c07d2';

/** Sample files: what each becomes once routed. */
export const SAMPLES = {
  routed: [
    'shop/landing/sale_fr_001.csv',
    'shop/landing/sale_de_002.csv',
    'shop/landing/sale_it_003.csv',
    'shop/landing/fin_q1.csv',
    'shop/drop/daily.csv',
  ],
  unrouted: 'shop/landing/notes.txt',
  /** `finance/raw/fin_q2.csv` already holds other bytes: dead, E_CONFLICT. */
  conflict: 'shop/landing/fin_q2.csv',
  conflictDestination: 'finance/raw/fin_q2.csv',
};

export interface DashboardBed {
  ws: Workspace;
  config: RuntimeConfig;
  ctx: Context;
  metrics: Metrics;
  mode: EventMode;
  url: string;
  route(location: string): Promise<RouteResult>;
  /** Puts and routes every sample; returns the results by location. */
  routeSamples(): Promise<Map<string, RouteResult>>;
  /** Puts and routes `n` more files spread over the routes (a fuller picture). */
  routeExtras(n: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * `switchyard serve` in a temp workspace (fs + SQLite, token set: reading
 * needs it unless `publicReads`), on a free port, watcher off; its browser
 * script bundled from the current sources.
 */
export async function openDashboardBed(
  options: { logger?: Logger; token?: string; publicReads?: boolean } = {},
): Promise<DashboardBed> {
  ensureDashboardBundle();
  const ws = await Workspace.create(DASHBOARD_ROUTES);
  const config = await loadConfig(
    { routes: path.join(ws.dir, 'routes.csv'), data: ws.data, state: path.join(ws.dir, '.switchyard') },
    { SWITCHYARD_TOKEN: options.token ?? DASHBOARD_TOKEN },
    ws.dir,
  );
  const { ctx, metrics } = await openMeteredContext(config, options.logger ?? silentLogger());
  const mode = await startEventMode(ctx, {
    port: 0,
    host: '127.0.0.1',
    watch: false,
    metrics,
    graceMs: 2_000,
    publicReads: options.publicReads === true,
  });
  const route = (location: string): Promise<RouteResult> => {
    const [project, bucket, ...key] = location.split('/');
    return ctx.router.route({ project: project!, bucket: bucket!, key: key.join('/'), origin: 'manual' });
  };
  return {
    ws,
    config,
    ctx,
    metrics,
    mode,
    url: mode.url,
    route,
    async routeSamples() {
      const results = new Map<string, RouteResult>();
      let n = 0;
      for (const location of [...SAMPLES.routed, SAMPLES.unrouted, SAMPLES.conflict]) {
        await ws.put(location, `id,amount\n${n},${'9'.repeat(10 + n++ * 7)}\n`);
      }
      await ws.put(SAMPLES.conflictDestination, 'other bytes already there\n');
      for (const location of [...SAMPLES.routed, SAMPLES.unrouted, SAMPLES.conflict])
        results.set(location, await route(location));
      return results;
    },
    async routeExtras(count: number) {
      const names = [
        (i: number) => `shop/landing/sale_${['fr', 'de', 'it', 'es', 'nl'][i % 5]}_${1000 + i}.csv`,
        (i: number) => `shop/landing/fin_${2020 + (i % 5)}_q${(i % 4) + 1}_${i}.csv`,
        (i: number) => `shop/drop/export_${i}.csv`,
        (i: number) => `partners/invoices/inv_${['acme', 'globex', 'initech'][i % 3]}_${i}.pdf`,
      ];
      for (let i = 0; i < count; i++) {
        const location = names[i % names.length]!(i);
        await ws.put(location, Buffer.alloc(200 + ((i * 7919) % 40_000), i % 251));
        await route(location);
      }
    },
    async close() {
      await mode.stop();
      await rm(ws.dir, { recursive: true, force: true });
    },
  };
}
