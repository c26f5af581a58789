import { Command } from 'commander';
import type { RuntimeConfig } from '../config/load.js';
import { openLedger } from '../ledger/url.js';
import type { LedgerCounts, LedgerReports, RouteStat, WaitingGroup } from '../ledger/types.js';
import { openConfiguredQueue } from '../queue/url.js';
import type { QueueStats } from '../queue/types.js';
import { configFrom, printJson, withCommonOptions, type CommonOptionValues, type Io } from './common.js';
import { formatTable } from './table.js';

/** What `status` reads: the ledger's counts and route totals, the queue's stats. */
interface StatusReading {
  counts: LedgerCounts;
  routes: RouteStat[];
  queueStats: QueueStats;
  /** The `--json` document. */
  status: Record<string, unknown>;
  /** Groups waiting for their marker, oldest first (at most 1,000). */
  waiting: WaitingGroup[];
  now: number;
}

export function statusCommand(io: Io, setExit: (code: number) => void): Command {
  return withCommonOptions(
    new Command('status').description(
      'deliveries by state, per-route totals, unrouted files, queue depth and dead letters',
    ),
    { queue: true, concurrency: false },
  ).action(async (options: CommonOptionValues) => {
    const config = await configFrom(options, io);
    const store = await openLedger(config.ledgerUrl, { stateDir: config.stateDir });
    try {
      const reading = await readStatus(config, store.reports);
      if (options.json) printJson(io, reading.status);
      else printStatus(io, reading);
      setExit(0);
    } finally {
      await store.close();
    }
  });
}

/** Reads the ledger's reports, then opens the queue for its stats and closes it again. */
async function readStatus(config: RuntimeConfig, reports: LedgerReports): Promise<StatusReading> {
  const counts = await reports.counts();
  const routes = await reports.routeStats();
  const unrouted = await reports.listUnrouted(20);
  const waiting = await reports.listWaiting(1000);
  const queue = await openConfiguredQueue(config);
  const queueStats = await queue.stats().finally(() => queue.close());
  const now = Date.now();
  const status = {
    deliveries: counts.byState,
    unrouted: counts.unrouted,
    oldestUnroutedAgeMs: counts.oldestUnroutedAt ? now - counts.oldestUnroutedAt : null,
    queue: { url: config.queueUrl, ...queueStats },
    routes,
    waitingGroups: waiting.length,
    oldestWaitingAgeMs: waiting[0] ? now - waiting[0].firstSeenAt : null,
    waiting: waiting.slice(0, 20).map((g) => ({
      folder: `${g.project}/${g.bucket}/${g.folder}`,
      routeId: g.routeId,
      members: g.members,
      ageMs: now - g.firstSeenAt,
    })),
    recentUnrouted: unrouted.map((u) => ({
      source: `${u.source.project}/${u.source.bucket}/${u.source.key}`,
      lastSeenAt: new Date(u.lastSeenAt).toISOString(),
      ...(u.reason ? { code: u.reason } : {}),
    })),
  };
  return { counts, routes, queueStats, status, waiting, now };
}

function printStatus(io: Io, { counts, routes, queueStats, waiting, now }: StatusReading): void {
  const states = Object.entries(counts.byState)
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
  io.stdout.write(`deliveries: ${states}\n`);
  io.stdout.write(`unrouted files: ${counts.unrouted}\n`);
  if (waiting.length > 0) {
    const oldest = Math.round((now - (waiting[0]?.firstSeenAt ?? now)) / 1000);
    io.stdout.write(`waiting groups: ${waiting.length} (oldest ${oldest}s)\n`);
  }
  io.stdout.write(queueLine(queueStats));
  if (routes.length) {
    io.stdout.write(
      `\n${formatTable(
        ['route', 'deliveries', 'done', 'failed', 'dead', 'bytes'],
        routes.map((r) => [
          r.routeId,
          String(r.deliveries),
          String(r.done),
          String(r.failed),
          String(r.dead),
          String(r.bytes),
        ]),
      )}\n`,
    );
  }
}

/** Depth, in flight and dead, each "unknown" when the queue cannot measure it. */
function queueLine(queueStats: QueueStats): string {
  const measured = (field: 'depth' | 'inFlight' | 'dead', value: number): string =>
    queueStats.unmeasured?.includes(field) ? 'unknown' : String(value);
  return (
    `queue: depth ${measured('depth', queueStats.depth)}, in flight ${measured('inFlight', queueStats.inFlight)}, ` +
    `dead ${measured('dead', queueStats.dead)}` +
    (queueStats.oldestAgeMs !== undefined ? `, oldest ${Math.round(queueStats.oldestAgeMs / 1000)}s` : '') +
    '\n'
  );
}
