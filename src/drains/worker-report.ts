import type { RouteResult } from '../router/result.js';
import type { Settlement } from './settle.js';

/** What a worker did since it started; logged periodically and when it stops. */
export interface WorkerStats {
  startedAt: number;
  /** Messages pulled (each delivery of a message counts). */
  pulled: number;
  /** Messages settled: acked + nacked + dead-lettered + handed back at shutdown. */
  settled: number;
  acked: number;
  nacked: number;
  deadLettered: number;
  /** Pulled but not started when the worker stopped: handed back at once. */
  handedBack: number;
  ignored: number;
  malformed: number;
  /** Events by outcome. */
  routed: number;
  unrouted: number;
  skipped: number;
  /** Members of groups waiting for their marker (acknowledged). */
  waiting: number;
  /** Groups older than their `group_timeout`, dead-lettered by the worker's upkeep. */
  groupsTimedOut: number;
  failed: number;
  dead: number;
  /** Messages pulled and not settled yet. */
  inHand: number;
  /** Queue operations that failed (their messages come back when the lease ends). */
  queueErrors: number;
  queueReconnects: number;
  /** Times routing found a backend unreachable and the worker paused pulling. */
  outages: number;
  releasedClaims: number;
  tempFilesRemoved: number;
  /** Drains (windows, see worker-signal.ts) whose manifests and notify messages were sent. */
  signalledDrains: number;
  /** `_MANIFEST-drain-….json` files written. */
  manifests: number;
  notified: number;
  manifestFailures: number;
  notifyFailures: number;
  stoppedBy?: 'signal' | 'idle';
}

export function emptyWorkerStats(now: number): WorkerStats {
  return {
    startedAt: now,
    pulled: 0,
    settled: 0,
    acked: 0,
    nacked: 0,
    deadLettered: 0,
    handedBack: 0,
    ignored: 0,
    malformed: 0,
    routed: 0,
    unrouted: 0,
    skipped: 0,
    waiting: 0,
    groupsTimedOut: 0,
    failed: 0,
    dead: 0,
    inHand: 0,
    queueErrors: 0,
    queueReconnects: 0,
    outages: 0,
    releasedClaims: 0,
    tempFilesRemoved: 0,
    signalledDrains: 0,
    manifests: 0,
    notified: 0,
    manifestFailures: 0,
    notifyFailures: 0,
  };
}

export function countOutcome(stats: WorkerStats, result: RouteResult): void {
  switch (result.outcome) {
    case 'routed':
      stats.routed++;
      break;
    case 'unrouted':
      stats.unrouted++;
      break;
    case 'dead':
      stats.dead++;
      break;
    case 'failed':
    case 'in-flight':
      stats.failed++;
      break;
    case 'waiting':
      stats.waiting++;
      break;
    default:
      stats.skipped++;
  }
}

export function countSettled(stats: WorkerStats, settlement: Settlement): void {
  stats.settled++;
  if (settlement.action === 'ack') {
    stats.acked++;
    if (settlement.ignored !== undefined) stats.ignored++;
  } else if (settlement.action === 'nack') {
    stats.nacked++;
  } else {
    stats.deadLettered++;
  }
}

/** One progress line: `settled 1200 (acked 1180, retried 15, dead-lettered 5), 85.2/s since last, 32 in hand`. */
export function progressLine(
  stats: WorkerStats,
  previous: { settled: number; at: number },
  now: number,
): string {
  const seconds = Math.max(0.001, (now - previous.at) / 1000);
  const rate = (stats.settled - previous.settled) / seconds;
  return (
    `settled ${stats.settled} (acked ${stats.acked}, retried ${stats.nacked}, dead-lettered ${stats.deadLettered}), ` +
    `${rate.toFixed(1)}/s since last, ${stats.inHand} in hand`
  );
}
