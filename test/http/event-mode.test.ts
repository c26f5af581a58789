import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { routerSink } from '../../src/intake/sink.js';
import { silentLogger } from '../../src/util/log.js';
import { openMeteredContext, startEventMode, type EventMode } from '../../src/modes/event.js';
import { Workspace } from '../helpers/workspace.js';
import { CSV, fixture, postEvent, TEST_ROUTES } from './harness.js';
import { until } from '../helpers/until.js';

interface PromMetric {
  name: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }>;
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => PromMetric[];

async function openWorkspace(): Promise<{ ws: Workspace; config: Awaited<ReturnType<typeof loadConfig>> }> {
  const ws = await Workspace.create(TEST_ROUTES);
  const config = await loadConfig(
    { routes: path.join(ws.dir, 'routes.csv'), data: ws.data, state: path.join(ws.dir, '.switchyard') },
    {},
    ws.dir,
  );
  return { ws, config };
}

/** How these tests wait: up to 10 s, every 25 ms. */
const WAIT = { timeoutMs: 10_000, everyMs: 25 };

describe('startEventMode: HTTP receiver + watcher, /healthz, /metrics, graceful shutdown', () => {
  let ws: Workspace | undefined;
  let mode: EventMode | undefined;
  afterEach(async () => {
    await mode?.stop();
    await ws?.remove();
    mode = undefined;
    ws = undefined;
  });

  it('answers /healthz and /metrics (Prometheus text), routes HTTP events and watched files', async () => {
    const opened = await openWorkspace();
    ws = opened.ws;
    await ws.put('source_bucket/raw_data/finance_2024-01.csv', CSV);
    const { ctx, metrics } = await openMeteredContext(opened.config, silentLogger());
    mode = await startEventMode(ctx, {
      port: 0,
      host: '127.0.0.1',
      metrics,
      watcher: { settleMs: 50, probe: false },
    });
    expect(mode.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await fetch(`${mode.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', routes: 5 });

    await until(
      () => ws!.exists('finance/raw_data/finance_2024-01.csv'),
      'the watcher to route the file already there',
      WAIT,
    );

    // The watcher sees this file too: whichever comes second waits (503) or finds it done.
    await ws.put('source_bucket/raw_data/sale_de.csv', CSV);
    const push = await fixture('pubsub-push-s3.json');
    let routed = await postEvent(mode.url, push);
    for (let i = 0; routed.status === 503 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 25));
      routed = await postEvent(mode.url, push);
    }
    expect(routed.status).toBe(200);
    expect(['routed', 'duplicate', 'gone']).toContain(routed.json.outcome);
    await until(() => ws!.exists('sales/raw_data/sale_de.csv'), 'sale_de.csv to be routed', WAIT);

    const response = await fetch(`${mode.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const families = parsePrometheus(await response.text());
    const byName = new Map(families.map((f) => [f.name, f]));
    const events = byName.get('switchyard_events_total');
    expect(events?.type).toBe('COUNTER');
    const routedCount = events!.metrics
      .filter((m) => m.labels?.outcome === 'routed')
      .reduce((n, m) => n + Number(m.value), 0);
    expect(routedCount).toBeGreaterThanOrEqual(2);
    expect(byName.get('switchyard_deliveries_total')?.metrics.some((m) => m.labels?.outcome === 'done')).toBe(
      true,
    );
    expect(
      byName.get('switchyard_deliveries_by_state')?.metrics.find((m) => m.labels?.state === 'done')?.value,
    ).toBe('2');
    expect(
      byName.get('switchyard_http_event_requests_total')?.metrics.find((m) => m.labels?.status === '200')
        ?.value,
    ).toBe('1');
    expect(families.some((f) => f.name.startsWith('switchyard_process_'))).toBe(true);
  });

  it('shuts down gracefully: refuses new connections, lets the request in flight finish its delivery, then closes', async () => {
    const opened = await openWorkspace();
    ws = opened.ws;
    await ws.put('source_bucket/raw_data/sale_fr_2024-05.csv', CSV);
    const { ctx, metrics } = await openMeteredContext(opened.config, silentLogger());
    let entered!: () => void;
    const inSink = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const route = routerSink(ctx.router);
    mode = await startEventMode(ctx, {
      port: 0,
      host: '127.0.0.1',
      watch: false,
      metrics,
      sink: async (event) => {
        entered();
        await gate;
        return route(event);
      },
    });
    const url = mode.url;
    const inFlight = postEvent(url, await fixture('gcs-pubsub-push.json'));
    await inSink;

    const stopping = mode.stop();
    let stopped = false;
    void stopping.then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(stopped).toBe(false);

    release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.json.outcome).toBe('routed');
    await stopping;
    expect(await ws.exists('sales/raw_data/sale_fr_2024-05.csv')).toBe(true);
    expect(await ws.exists('source_bucket/raw_data/sale_fr_2024-05.csv')).toBe(false);
    mode = undefined;
  });
});
