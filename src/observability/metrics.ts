import { createRequire } from 'node:module';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LedgerReports } from '../ledger/types.js';
import type { Queue } from '../queue/types.js';
import type { RouterHooks } from '../router/router.js';

export interface MetricsSources {
  /** The ledger's reports: unrouted files and dead deliveries, read at scrape time. */
  reports?: LedgerReports;
  queue?: Queue;
  /** The referential in effect (a `ReferentialSource`): reload failures and the loaded version's age. */
  referential?: { readonly reloadFailures: number; ageSeconds(): number };
}

const { version: VERSION } = createRequire(import.meta.url)('../../package.json') as { version: string };

/**
 * switchyard's Prometheus metrics. Counters move as this process routes;
 * gauges (queue depth, dead letters, unrouted files and their age) are read
 * from the queue and the ledger at scrape time, so every worker reports the
 * shared truth.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly deliveries: Counter<'route' | 'outcome'>;
  readonly bytes: Counter<'route'>;
  readonly duration: Histogram<'route' | 'outcome'>;
  readonly events: Counter<'outcome' | 'origin'>;
  /** Manifests written and notify messages sent, or not (`outcome`: `written`/`failed`, `sent`/`failed`). */
  readonly manifests: Counter<'outcome'>;
  readonly notifications: Counter<'outcome'>;
  /** Batch mode only (a queue is given): when a drain last finished, unix seconds; 0 until one has. */
  private readonly lastDrain: Gauge | undefined;

  constructor(sources: MetricsSources = {}, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    // prom-client's own names start with process_ and nodejs_: switchyard_process_cpu_…, switchyard_nodejs_heap_…
    if (options.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_' });
    new Gauge({
      name: 'switchyard_build_info',
      help: 'Always 1: the switchyard version and the Node.js version this process runs.',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: VERSION, node: process.versions.node }, 1);
    const routing = routingMetrics(registers);
    this.deliveries = routing.deliveries;
    this.bytes = routing.bytes;
    this.duration = routing.duration;
    this.events = routing.events;
    this.manifests = new Counter({
      name: 'switchyard_manifests_total',
      help: 'Manifests (_MANIFEST-<id>.json) of drains and groups, by outcome: written or failed.',
      labelNames: ['outcome'],
      registers,
    });
    this.notifications = new Counter({
      name: 'switchyard_notify_messages_total',
      help: "Messages to the rows' notify URLs, by outcome: sent or failed (a failed one is not sent again).",
      labelNames: ['outcome'],
      registers,
    });
    const { reports, queue, referential } = sources;
    if (referential) registerReferentialMetrics(referential, registers);
    if (queue) registerQueueMetrics(queue, registers);
    if (reports) registerLedgerMetrics(reports, registers);
    this.lastDrain = queue
      ? new Gauge({
          name: 'switchyard_last_successful_drain_timestamp_seconds',
          help: 'When a drain of the queue by this process last finished (emptied the queue or spent its time budget), unix seconds; 0 until one has.',
          registers,
        })
      : undefined;
  }

  /** A drain finished: not skipped for the lock, not thrown, its lock kept to the end. */
  drainSucceeded(atMs: number = Date.now()): void {
    this.lastDrain?.set(atMs / 1000);
  }

  /** Counts what a drain or group signalled downstream (its manifests and notify messages). */
  signalled(report: {
    manifests: readonly string[];
    manifestFailures: number;
    notified: number;
    notifyFailures: number;
  }): void {
    if (report.manifests.length) this.manifests.inc({ outcome: 'written' }, report.manifests.length);
    if (report.manifestFailures) this.manifests.inc({ outcome: 'failed' }, report.manifestFailures);
    if (report.notified) this.notifications.inc({ outcome: 'sent' }, report.notified);
    if (report.notifyFailures) this.notifications.inc({ outcome: 'failed' }, report.notifyFailures);
  }

  /** Router hooks that feed the counters. */
  hooks(): RouterHooks {
    return {
      delivery: (d, durationMs) => {
        this.deliveries.inc({ route: d.routeId, outcome: d.state });
        this.duration.observe({ route: d.routeId, outcome: d.state }, durationMs / 1000);
        if (d.state === 'done' && d.bytes) this.bytes.inc({ route: d.routeId }, d.bytes);
      },
      event: (r) => {
        this.events.inc({ outcome: r.outcome, origin: r.event.origin });
      },
    };
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The counters this process moves as it routes (fed by `Metrics.hooks()`). */
function routingMetrics(
  registers: Registry[],
): Pick<Metrics, 'deliveries' | 'bytes' | 'duration' | 'events'> {
  const deliveries = new Counter({
    name: 'switchyard_deliveries_total',
    help: 'Deliveries that reached an outcome in this process: done (completed), failed (will retry), dead, superseded.',
    labelNames: ['route', 'outcome'],
    registers,
  });
  const bytes = new Counter({
    name: 'switchyard_delivered_bytes_total',
    help: 'Bytes of objects delivered (done), by route.',
    labelNames: ['route'],
    registers,
  });
  const duration = new Histogram({
    name: 'switchyard_delivery_duration_seconds',
    help: 'Time from claim to verified destination, by route and outcome.',
    labelNames: ['route', 'outcome'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const events = new Counter({
    name: 'switchyard_events_total',
    help: 'Events (notifications, scanned files) by outcome: routed, duplicate, unrouted, ignored, gone, in-flight, failed, dead, waiting.',
    labelNames: ['outcome', 'origin'],
    registers,
  });
  return { deliveries, bytes, duration, events };
}

/** Reload failures and age of the referential in effect, read at scrape time. */
function registerReferentialMetrics(
  referential: NonNullable<MetricsSources['referential']>,
  registers: Registry[],
): void {
  new Counter({
    name: 'switchyard_referential_reload_failures_total',
    help: 'New referential versions refused (invalid, empty or gone) and checks that failed; the previous version stayed in effect.',
    registers,
    collect() {
      this.reset();
      this.inc(referential.reloadFailures);
    },
  });
  new Gauge({
    name: 'switchyard_referential_age_seconds',
    help: 'Seconds since the referential in effect was loaded (grows while new versions are refused).',
    registers,
    collect() {
      this.set(referential.ageSeconds());
    },
  });
}

/** Queue gauges, all fed by one `queue.stats()` read per scrape. */
function registerQueueMetrics(queue: Queue, registers: Registry[]): void {
  const stats = lazy(() => queue.stats());
  new Gauge({
    name: 'switchyard_queue_depth',
    help: 'Messages waiting in the queue.',
    registers,
    async collect() {
      this.set((await stats()).depth);
    },
  });
  new Gauge({
    name: 'switchyard_queue_in_flight',
    help: 'Messages leased to a consumer.',
    registers,
    async collect() {
      this.set((await stats()).inFlight);
    },
  });
  new Gauge({
    name: 'switchyard_queue_oldest_age_seconds',
    help: 'Age of the oldest queued message.',
    registers,
    async collect() {
      this.set(((await stats()).oldestAgeMs ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'switchyard_dead_letters',
    help: 'Messages in the dead-letter queue (dead deliveries of the ledger: switchyard_dead_deliveries).',
    registers,
    async collect() {
      this.set((await stats()).dead);
    },
  });
}

/** Ledger gauges (unrouted files, dead and per-state deliveries), all fed by one `reports.counts()` read per scrape. */
function registerLedgerMetrics(reports: LedgerReports, registers: Registry[]): void {
  const counts = lazy(() => reports.counts());
  new Gauge({
    name: 'switchyard_unrouted_files',
    help: 'Files no referential row matches, recorded and left in place.',
    registers,
    async collect() {
      this.set((await counts()).unrouted);
    },
  });
  new Gauge({
    name: 'switchyard_unrouted_oldest_age_seconds',
    help: 'Age of the oldest unrouted file (0 when none).',
    registers,
    async collect() {
      const oldest = (await counts()).oldestUnroutedAt;
      this.set(oldest ? (Date.now() - oldest) / 1000 : 0);
    },
  });
  const waiting = lazy(() => reports.listWaiting(100_000));
  new Gauge({
    name: 'switchyard_waiting_groups',
    help: 'Groups (complete_when) waiting for their marker, their members kept in place.',
    registers,
    async collect() {
      this.set((await waiting()).length);
    },
  });
  new Gauge({
    name: 'switchyard_waiting_oldest_age_seconds',
    help: 'Age of the oldest waiting group, from its first member seen (0 when none).',
    registers,
    async collect() {
      const oldest = (await waiting())[0]?.firstSeenAt;
      this.set(oldest ? (Date.now() - oldest) / 1000 : 0);
    },
  });
  new Gauge({
    name: 'switchyard_dead_deliveries',
    help: 'Deliveries dead in the ledger (dead letters): kept in place until fixed and retried.',
    registers,
    async collect() {
      this.set((await counts()).byState.dead);
    },
  });
  new Gauge({
    name: 'switchyard_deliveries_by_state',
    help: 'Deliveries in the ledger by state.',
    labelNames: ['state'],
    registers,
    async collect() {
      for (const [state, n] of Object.entries((await counts()).byState)) this.set({ state }, n);
    },
  });
}

/** One read shared by all gauges of a scrape (cached for a second). */
function lazy<T>(read: () => Promise<T>): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > 1000) cached = { at: now, value: read() };
    return cached.value;
  };
}
