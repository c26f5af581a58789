import { errorCode, errorMessage } from '../model/errors.js';
import type { ObjectEvent } from '../model/event.js';
import type { Queue, QueueMessage } from '../queue/types.js';
import type { RouteResult } from '../router/result.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../router/retry.js';
import {
  countResult,
  countSettlement,
  emptyDrainReport,
  sourceOf,
  type DrainReport,
} from './batch-report.js';
import { applySettlement, settleMessage, type SettleTarget } from './settle.js';
import type { Context } from '../runtime/context.js';
import { keepLeasesAlive } from './message-leases.js';
import { recoverInterrupted } from '../runtime/recover.js';
import type { Notifier } from '../signals/notifier.js';
import type { DeliveredFile } from '../signals/manifest.js';
import { newSignalId } from '../signals/signal-id.js';
import { signalFromContext, signalledDeliveries } from './drain-signal.js';

export type { DrainReport } from './batch-report.js';

export interface DrainOptions {
  /**
   * Messages pulled at a time (default: the concurrency, so that one pull
   * fills the routing pool; a smaller pull left lanes idle at each batch's end).
   */
  maxBatch?: number;
  /** Stop pulling once this much time has passed (the batch in hand finishes). Default: no limit. */
  timeBudgetMs?: number;
  /** Events routed at once (default: the config's concurrency). */
  concurrency?: number;
  /** Deliveries of a message before a transient failure is dead-lettered (default 5). */
  maxAttempts?: number;
  /** Lease taken on pulled messages, extended while they are worked on (default 60 s). */
  leaseMs?: number;
  /** Nack backoff: `baseDelayMs × 2^(attempt-1)` with jitter, capped (default 1 s … 5 min). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * How long a pull may wait for messages before the drain takes the queue
   * for empty (default 0 for queues with exact stats, e.g. SQLite; 2 s for
   * Pub/Sub, SQS and JetStream, whose immediate pulls may come back empty
   * while messages wait).
   */
  pullWaitMs?: number;
  /** Run crash recovery first (default true; never in a dry run). */
  recover?: boolean;
  /** Aborting stops the drain after the batch in hand. */
  signal?: AbortSignal;
  /** Messages settled so far and an estimate of the total. */
  onProgress?(done: number, total: number): void;
  random?: () => number;
  /** Sends the rows' `notify` messages (default: one opened for the drain, closed at its end). */
  notifier?: Notifier;
}

/**
 * One drain of the queue: pulls `maxBatch` messages at a time until the queue
 * is empty or the time budget is spent, routes each batch through
 * `router.routeMany` with bounded concurrency, keeps the leases of the batch
 * in hand alive, then acks what reached a terminal outcome, nacks transient
 * failures with backoff and dead-letters what spent its attempts or cannot be
 * read (invariant 5). A dry run routes nothing for real and puts every
 * message back at the end.
 */
export async function drain(ctx: Context, queue: Queue, options: DrainOptions = {}): Promise<DrainReport> {
  const started = Date.now();
  const { maxBatch, leaseMs, concurrency, pullWaitMs, policy } = drainSettings(ctx, queue, options);
  const dryRun = ctx.config.dryRun;
  const report = emptyDrainReport(newSignalId('drain', new Date(started)));
  /** For the manifests and notify messages: the files of signalling rows only (memory grows with nothing else). */
  const delivered: DeliveredFile[] = [];

  if (options.recover !== false && !dryRun) {
    const recovery = await recoverInterrupted(ctx);
    report.recovered = recovery.results.length;
    report.tempFilesRemoved = recovery.tempFilesRemoved;
  }

  const progress = await progressReporter(queue, options.onProgress);
  let done = 0;
  const leased = new Set<string>();
  const held: string[] = [];
  const extender = keepLeasesAlive(
    () => queue,
    () => [...leased],
    leaseMs,
    (error) => ctx.logger.warn({ err: error }, 'could not extend message leases'),
  );

  try {
    progress(done);
    for (;;) {
      const stoppedBy = stopReason(options, started);
      if (stoppedBy) {
        report.stoppedBy = stoppedBy;
        break;
      }
      const messages = await queue.pull(maxBatch, leaseMs, pullWaitMs);
      if (messages.length === 0) break;
      report.batches++;
      report.messages += messages.length;
      for (const m of messages) leased.add(m.id);

      const results = await routeBatch(ctx, messages, concurrency, (r) => {
        countResult(report, r);
        if (!dryRun) for (const file of signalledDeliveries(ctx, r)) delivered.push(file);
      });
      if (dryRun) {
        held.push(...messages.map((m) => m.id));
      } else {
        await settleBatch(ctx, queue, messages, results, policy, report, options.random);
        for (const m of messages) leased.delete(m.id);
      }
      done += messages.length;
      progress(done);
    }
  } finally {
    clearInterval(extender);
    for (const id of held) await queue.nack(id, 0).catch(() => undefined);
  }
  if (!dryRun) report.groupsTimedOut = (await ctx.router.expireGroups()).length;
  await signalDrain(ctx, report, delivered, options.notifier);
  report.durationMs = Date.now() - started;
  const { messages, batches, routed, failed, dead, stoppedBy } = report;
  ctx.logger.info({ messages, batches, routed, failed, dead, stoppedBy }, 'drain finished');
  return report;
}

/** Manifests and notify messages of what the drain delivered (drain-signal.ts), counted into its report. */
async function signalDrain(
  ctx: Context,
  report: DrainReport,
  deliveries: DeliveredFile[],
  notifier: Notifier | undefined,
): Promise<void> {
  if (deliveries.length === 0) return;
  const signals = await signalFromContext(ctx, { id: report.id, kind: 'drain', deliveries }, notifier);
  report.manifests = signals.manifests;
  report.notified = signals.notified;
  report.manifestFailures = signals.manifestFailures;
  report.notifyFailures = signals.notifyFailures;
  report.signalErrors = signals.errors.slice(0, 100);
}

/** The options with their defaults filled in. */
function drainSettings(
  ctx: Context,
  queue: Queue,
  options: DrainOptions,
): { maxBatch: number; leaseMs: number; concurrency: number; pullWaitMs: number; policy: RetryPolicy } {
  const concurrency = options.concurrency ?? ctx.config.concurrency;
  return {
    maxBatch: Math.max(1, Math.floor(options.maxBatch ?? concurrency)),
    leaseMs: options.leaseMs ?? 60_000,
    concurrency,
    pullWaitMs: options.pullWaitMs ?? (queue.capabilities.exactStats ? 0 : 2_000),
    policy: {
      maxAttempts: options.maxAttempts ?? 5,
      baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    },
  };
}

/** Why the drain stops before its next pull: aborted, or its time budget spent; undefined: go on. */
function stopReason(options: DrainOptions, started: number): 'stopped' | 'time-budget' | undefined {
  if (options.signal?.aborted) return 'stopped';
  if (options.timeBudgetMs !== undefined && Date.now() - started >= options.timeBudgetMs)
    return 'time-budget';
  return undefined;
}

/** Reports messages settled against an estimate of the total: the queue's depth at the start, when it can tell. */
async function progressReporter(
  queue: Queue,
  onProgress: DrainOptions['onProgress'],
): Promise<(done: number) => void> {
  const initial = await queue.stats().catch(() => undefined);
  const estimate = initial && !initial.unmeasured?.includes('depth') ? initial.depth + initial.inFlight : 0;
  return (done) => onProgress?.(done, Math.max(estimate, done));
}

/** Routes every event of a batch once (duplicates within a batch share one result); results per message. */
async function routeBatch(
  ctx: Context,
  messages: QueueMessage[],
  concurrency: number,
  onResult: (result: RouteResult) => void,
): Promise<RouteResult[][]> {
  const unique = new Map<string, ObjectEvent>();
  const keysOf = messages.map((m) => {
    if (m.malformed !== undefined || m.ignore !== undefined) return [];
    return [m.event, ...(m.extraEvents ?? [])].map((event) => {
      const key = `${event.project ?? ''}\u0000${event.bucket}\u0000${event.key}\u0000${event.generation ?? ''}`;
      if (!unique.has(key)) unique.set(key, event);
      return key;
    });
  });
  const keys = [...unique.keys()];
  const routed = await ctx.router.routeMany([...unique.values()], concurrency, onResult);
  const byKey = new Map(keys.map((key, i) => [key, routed[i] as RouteResult]));
  return keysOf.map((list) => list.map((key) => byKey.get(key) as RouteResult));
}

async function settleBatch(
  ctx: Context,
  queue: Queue,
  messages: QueueMessage[],
  results: RouteResult[][],
  policy: RetryPolicy,
  report: DrainReport,
  random?: () => number,
): Promise<void> {
  const acks: string[] = [];
  const failed =
    (operation: string, count = 1) =>
    (error: unknown): void =>
      queueError(ctx, report, operation, count, error);
  const target: SettleTarget = {
    // one ack call for the batch, after the loop
    ack: async (id) => void acks.push(id),
    nack: (id, delayMs) => queue.nack(id, delayMs).catch(failed('nack')),
    deadLetter: (id, reason) => queue.deadLetter(id, reason).catch(failed('deadLetter')),
  };
  for (const [i, message] of messages.entries()) {
    const mine = results[i] ?? [];
    const settlement = settleMessage(message, mine, policy, { random });
    const transient =
      message.malformed !== undefined
        ? 1
        : mine.filter((r) => r.outcome === 'failed' || r.outcome === 'in-flight').length;
    if (message.malformed !== undefined) report.malformed++;
    countSettlement(
      report,
      settlement,
      mine[0] ? sourceOf(mine[0]) : sourceOf({ event: message.event }),
      transient,
    );
    await applySettlement(message, settlement, target, ctx.logger);
  }
  if (acks.length > 0) await queue.ack(acks).catch(failed('ack', acks.length));
}

function queueError(
  ctx: Context,
  report: DrainReport,
  operation: string,
  count: number,
  error: unknown,
): void {
  report.queueErrors += count;
  ctx.logger.error(
    { operation, count, code: errorCode(error), error: errorMessage(error) },
    'queue operation failed; the messages come back when their lease ends',
  );
}
