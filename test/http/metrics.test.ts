import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLedger } from '../../src/ledger/memory/ledger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { MemoryQueue } from '../../src/queue/memory/queue.js';
import { DASHBOARD_TOKEN, openDashboardBed, type DashboardBed } from '../dashboard/fixture.js';

interface PromSample {
  value?: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
interface PromFamily {
  name: string;
  type: string;
  metrics: PromSample[];
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => PromFamily[];

function families(text: string): Map<string, PromFamily> {
  return new Map(parsePrometheus(text).map((f) => [f.name, f]));
}

/**
 * `_count` of a labelled histogram, read from the text: parse-prometheus-text-format
 * folds the samples of a labelled histogram into one and loses their labels.
 */
function histogramCount(text: string, name: string, labels: Record<string, string>): number {
  const lines = text.split('\n').filter((l) => l.startsWith(`${name}_count{`));
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const found = lines.filter((l) => wanted.every((w) => l.includes(w)));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return Number(found[0]?.split(' ').pop() ?? 0);
}

/** The value of the one sample of `name` whose labels include `labels` (0 when there is none). */
function value(all: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number {
  const family = all.get(name);
  if (!family) throw new Error(`no metric ${name}`);
  const samples = family.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (samples.length > 1)
    throw new Error(`${name} ${JSON.stringify(labels)} matches ${samples.length} samples`);
  return Number(samples[0]?.value ?? 0);
}

describe('/metrics of a running server equals the ledger', () => {
  let bed: DashboardBed;
  beforeAll(async () => {
    bed = await openDashboardBed();
    await bed.routeSamples();
    await bed.routeExtras(12);
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('deliveries by route and outcome, bytes, durations, dead letters, unrouted files and their age', async () => {
    const before = Date.now();
    const response = await fetch(`${bed.url}/metrics`, {
      headers: { authorization: `Bearer ${DASHBOARD_TOKEN}` },
    });
    const after = Date.now();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const all = families(text);
    const counts = await bed.ctx.reports.counts();
    const stats = await bed.ctx.reports.routeStats();

    expect(all.get('switchyard_deliveries_total')?.type).toBe('COUNTER');
    expect(all.get('switchyard_delivery_duration_seconds')?.type).toBe('HISTOGRAM');
    for (const stat of stats) {
      const route = { route: stat.routeId };
      expect(value(all, 'switchyard_deliveries_total', { ...route, outcome: 'done' }), stat.routeId).toBe(
        stat.done,
      );
      expect(value(all, 'switchyard_deliveries_total', { ...route, outcome: 'dead' }), stat.routeId).toBe(
        stat.dead,
      );
      expect(value(all, 'switchyard_delivered_bytes_total', route), stat.routeId).toBe(stat.bytes);
      expect(
        histogramCount(text, 'switchyard_delivery_duration_seconds', { ...route, outcome: 'done' }),
        stat.routeId,
      ).toBe(stat.done);
    }
    const doneTotal = all
      .get('switchyard_deliveries_total')!
      .metrics.filter((m) => m.labels?.outcome === 'done')
      .reduce((n, m) => n + Number(m.value), 0);
    expect(doneTotal).toBe(counts.byState.done);
    expect(counts.byState.done).toBeGreaterThan(15);
    expect(counts.byState.dead).toBe(1);

    expect(value(all, 'switchyard_dead_deliveries')).toBe(counts.byState.dead);
    for (const [state, n] of Object.entries(counts.byState))
      expect(value(all, 'switchyard_deliveries_by_state', { state })).toBe(n);
    expect(value(all, 'switchyard_unrouted_files')).toBe(counts.unrouted);
    expect(counts.unrouted).toBe(1);
    const age = value(all, 'switchyard_unrouted_oldest_age_seconds');
    expect(age).toBeGreaterThanOrEqual((before - counts.oldestUnroutedAt!) / 1000);
    expect(age).toBeLessThanOrEqual((after - counts.oldestUnroutedAt!) / 1000);
    expect(all.has('switchyard_queue_depth')).toBe(false);
  });
});

describe('Metrics queue gauges (batch mode)', () => {
  it('report depth, in flight, dead letters and the oldest message age from the queue', async () => {
    let now = 1_000_000;
    const queue = new MemoryQueue({ now: () => now });
    await queue.publish(
      [1, 2, 3, 4, 5].map((n) => ({ bucket: 'b', key: `k${n}`, origin: 'manual' as const })),
    );
    now += 4_000;
    const [first] = await queue.pull(2, 60_000);
    await queue.deadLetter(first!.id, 'poison');
    const metrics = new Metrics({ reports: createMemoryLedger().reports, queue }, { defaultMetrics: false });
    const all = families(await metrics.text());
    const stats = await queue.stats();
    expect(stats).toMatchObject({ depth: 3, inFlight: 1, dead: 1 });
    expect(value(all, 'switchyard_queue_depth')).toBe(stats.depth);
    expect(value(all, 'switchyard_queue_in_flight')).toBe(stats.inFlight);
    expect(value(all, 'switchyard_dead_letters')).toBe(stats.dead);
    expect(value(all, 'switchyard_queue_oldest_age_seconds')).toBe(stats.oldestAgeMs! / 1000);
    expect(stats.oldestAgeMs).toBe(4_000);
  });
});

describe('Metrics build info, process metrics and the last successful drain', () => {
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

  it('switchyard_build_info{version,node} is 1; process metrics have one switchyard_ prefix', async () => {
    const all = families(await new Metrics().text());
    expect(value(all, 'switchyard_build_info', { version, node: process.versions.node })).toBe(1);
    expect(all.get('switchyard_process_cpu_user_seconds_total')?.type).toBe('COUNTER');
    expect(value(all, 'switchyard_process_start_time_seconds')).toBeGreaterThan(0);
    expect(all.has('switchyard_nodejs_eventloop_lag_seconds')).toBe(true);
    expect([...all.keys()].filter((name) => name.includes('process_process'))).toEqual([]);
  });

  it('the time of the last successful drain: 0 until one, then its unix seconds; batch mode only', async () => {
    const queue = new MemoryQueue();
    const metrics = new Metrics({ queue }, { defaultMetrics: false });
    const name = 'switchyard_last_successful_drain_timestamp_seconds';
    expect(value(families(await metrics.text()), name)).toBe(0);
    metrics.drainSucceeded(1_700_000_123_000);
    expect(value(families(await metrics.text()), name)).toBe(1_700_000_123);

    const eventMode = new Metrics({}, { defaultMetrics: false });
    eventMode.drainSucceeded();
    expect(families(await eventMode.text()).has(name)).toBe(false);
    await queue.close();
  });
});
