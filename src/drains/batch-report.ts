import type { RouteResult } from '../router/result.js';
import { formatLocation } from '../model/keys.js';
import type { Settlement } from './settle.js';
import type { OutcomeCounts } from '../runtime/summary.js';

const MAX_SAMPLES = 100;

/**
 * What one drain did. Event counts are per routing attempt of this drain (a
 * message retried within the drain counts each time), like `scan --json`:
 * `failed` holds every event not routed for now (retrying or dead), `dead`
 * the part of it that will not be retried (dead in the ledger or
 * dead-lettered in the queue).
 */
export interface DrainReport extends OutcomeCounts {
  /** This drain's id (`drain-<UTC time>-<hex>`): its manifests are `_MANIFEST-<id>.json`. */
  id: string;
  /** Messages pulled (each delivery of a message counts). */
  messages: number;
  batches: number;
  acked: number;
  nacked: number;
  deadLettered: number;
  /** Messages acked without routing (deletions, test events…). */
  ignored: number;
  /** Messages whose body could not be read: dead-lettered at once with E_MESSAGE_UNREADABLE. */
  malformed: number;
  /** Queue operations (ack, nack, dead letter) that failed; their messages come back when the lease ends. */
  queueErrors: number;
  /** Sources of deliveries an interrupted run left half-done, routed again first. */
  recovered: number;
  tempFilesRemoved: number;
  /** Groups (`complete_when`) older than their `group_timeout`, dead-lettered at the end of the drain. */
  groupsTimedOut: number;
  /** Why the drain ended. */
  stoppedBy: 'empty' | 'time-budget' | 'stopped' | 'lock-lost';
  durationMs: number;
  /** The first unrouted files and errors (at most 100 each). */
  unroutedFiles: string[];
  errors: Array<{ source: string; code: string; message: string }>;
  deadLetters: Array<{ source: string; reason: string }>;
  /** `PROJECT/BUCKET/KEY` of each manifest written (rows with `write_manifest`). */
  manifests: string[];
  /** Messages sent to the rows' `notify` URLs. */
  notified: number;
  /** Manifests not written and messages not sent (logged; the files stay delivered, nothing is retried). */
  manifestFailures: number;
  notifyFailures: number;
  /** The first of those failures (at most 100). */
  signalErrors: Array<{
    kind: 'manifest' | 'notify';
    target: string;
    route: string;
    code: string;
    message: string;
  }>;
}

export function emptyDrainReport(id: string): DrainReport {
  return {
    id,
    routed: 0,
    unrouted: 0,
    failed: 0,
    dead: 0,
    skipped: 0,
    waiting: 0,
    groupsTimedOut: 0,
    outcomes: {},
    messages: 0,
    batches: 0,
    acked: 0,
    nacked: 0,
    deadLettered: 0,
    ignored: 0,
    malformed: 0,
    queueErrors: 0,
    recovered: 0,
    tempFilesRemoved: 0,
    stoppedBy: 'empty',
    durationMs: 0,
    unroutedFiles: [],
    errors: [],
    deadLetters: [],
    manifests: [],
    notified: 0,
    manifestFailures: 0,
    notifyFailures: 0,
    signalErrors: [],
  };
}

export function sourceOf(result: Pick<RouteResult, 'source' | 'event'>): string {
  if (result.source) return formatLocation(result.source);
  const e = result.event;
  return `${e.project ?? '?'}/${e.bucket}/${e.key}`;
}

/** Counts one routed event into the report. */
export function countResult(report: DrainReport, result: RouteResult): void {
  report.outcomes[result.outcome] = (report.outcomes[result.outcome] ?? 0) + 1;
  switch (result.outcome) {
    case 'routed':
      report.routed++;
      break;
    case 'unrouted':
      report.unrouted++;
      if (report.unroutedFiles.length < MAX_SAMPLES) report.unroutedFiles.push(sourceOf(result));
      break;
    case 'dead':
      report.dead++;
      report.failed++;
      break;
    case 'failed':
    case 'in-flight':
      report.failed++;
      break;
    case 'waiting':
      report.waiting++;
      break;
    default:
      report.skipped++;
  }
  if (result.error && report.errors.length < MAX_SAMPLES)
    report.errors.push({ source: sourceOf(result), ...result.error });
}

/** Counts one message's settlement; a transient failure turned dead letter moves from failed-only to dead. */
export function countSettlement(
  report: DrainReport,
  settlement: Settlement,
  source: string,
  transientEvents: number,
): void {
  if (settlement.action === 'ack') {
    report.acked++;
    if (settlement.ignored !== undefined) report.ignored++;
    return;
  }
  if (settlement.action === 'nack') {
    report.nacked++;
    return;
  }
  report.deadLettered++;
  report.dead += transientEvents;
  if (report.deadLetters.length < MAX_SAMPLES) report.deadLetters.push({ source, reason: settlement.reason });
}
