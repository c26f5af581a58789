import { errorCode, errorMessage } from '../model/errors.js';
import type { ObjectEvent } from '../model/event.js';
import type { Queue, QueueMessage } from '../queue/types.js';
import type { RouteResult } from '../router/result.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../router/retry.js';
import { Semaphore } from '../util/pool.js';
import type { Context } from '../runtime/context.js';
import { keepLeasesAlive } from './message-leases.js';
import { SignalWindow } from './worker-signal.js';
import { QueueHandle } from './worker-queue.js';
import { Wake } from './worker-wake.js';
import {
  countOutcome,
  countSettled,
  emptyWorkerStats,
  progressLine,
  type WorkerStats,
} from './worker-report.js';
import { applySettlement, isOutage, settleMessage, type SettleTarget } from './settle.js';
import { releaseDeadLocalClaims, sweepTempFiles } from '../runtime/upkeep.js';

export type { WorkerStats } from './worker-report.js';

export interface WorkerOptions {
  /** Events routed at once (default: the config's concurrency). */
  concurrency?: number;
  /** Messages pulled at a time (default: the concurrency); at most concurrency + maxBatch are held. */
  maxBatch?: number;
  /** Lease on pulled messages, extended every third of it while they are worked on (default 15 s). */
  leaseMs?: number;
  /** Long-poll: how long a pull waits for a message when the queue is empty (default 2 s). */
  waitMs?: number;
  /** Deliveries of a message before a transient failure of its own is dead-lettered (default 5). */
  maxAttempts?: number;
  /** Nack backoff: `baseDelayMs × 2^(attempt-1)` with jitter, capped (default 1 s … 5 min). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A progress line every this often (default 30 s; 0: none). */
  progressEveryMs?: number;
  /** Stop once pulls found the queue empty and nothing was in hand for this long (default: run until stopped). */
  idleExitMs?: number;
  /** Temp files dead processes left in local buckets are removed once this old (default 10 min; 0: never). */
  tempMaxAgeMs?: number;
  /**
   * What the worker delivered for rows with `write_manifest` or `notify` is
   * one drain's manifest and messages at most this long after its first
   * file (default 60 s), or sooner when the queue runs dry (worker-signal.ts).
   */
  manifestEveryMs?: number;
  /** Aborting stops pulling; work in hand finishes and is settled, messages not started are handed back. */
  signal?: AbortSignal;
  onProgress?(stats: WorkerStats): void;
  random?: () => number;
}

const PROBE_ID = 'switchyard-worker-probe';
const MAX_QUEUE_BACKOFF_MS = 10_000;
const MAX_OUTAGE_PAUSE_MS = 30_000;

/** The least a worker waits after a pull that found nothing, however short `waitMs`. */
const EMPTY_PULL_PAUSE_MS = 10;

/**
 * A long-running consumer of a shared queue: any number of workers, on any
 * number of machines, pull from one queue and route through one ledger.
 *
 * - Pulls continuously (long-poll), routes at most `concurrency` messages at
 *   once, and keeps the leases of every message in hand alive.
 * - Settles each message as soon as its events are routed, with the drain's
 *   rules (workerSettlement): ack terminal outcomes, nack transient ones with
 *   backoff, dead-letter malformed messages and spent budgets (invariant 5).
 * - Never crashes on a backend outage: a failed pull backs off and reopens
 *   the queue connection; routing that finds the ledger or a source store
 *   unreachable nacks the message and pauses pulling, with backoff, until the
 *   ledger answers again.
 * - Releases claims of dead processes of this host, and sweeps temp files
 *   old enough to be abandoned (worker-upkeep), at start and periodically.
 * - Stops when `signal` aborts (or after `idleExitMs` idle): no more pulls,
 *   work in hand finishes and is settled, the queue is closed.
 */
export async function runWorker(
  ctx: Context,
  openQueue: () => Promise<Queue>,
  options: WorkerOptions = {},
): Promise<WorkerStats> {
  return new QueueWorker(ctx, new QueueHandle(openQueue, ctx.logger), options).run();
}

class QueueWorker {
  private readonly stats = emptyWorkerStats(Date.now());
  private readonly concurrency: number;
  private readonly maxBatch: number;
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private readonly policy: RetryPolicy;
  private readonly slots: Semaphore;
  private readonly inHand = new Map<string, QueueMessage>();
  private readonly routing = new Map<string, Promise<RouteResult>>();
  private readonly work = new Set<Promise<void>>();
  private readonly wake = new Wake();
  private stopping = false;
  private pausedUntil = 0;
  private outageLevel = 0;
  private lastBusyAt = Date.now();
  private ackBatch: { ids: string[]; done: Promise<void> } | undefined;
  private upkeepRunning = false;
  private readonly signals: SignalWindow;
  /** Acks grouped per turn; nacks and dead letters as single queue calls whose failures are counted. */
  private readonly target: SettleTarget = {
    ack: (id) => this.ack(id),
    nack: (id, delayMs) => this.queueOp('nack', (q) => q.nack(id, delayMs)),
    deadLetter: (id, reason) => this.queueOp('deadLetter', (q) => q.deadLetter(id, reason)),
  };

  constructor(
    private readonly ctx: Context,
    private readonly queue: QueueHandle,
    private readonly options: WorkerOptions,
  ) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? ctx.config.concurrency));
    this.maxBatch = Math.max(1, Math.floor(options.maxBatch ?? this.concurrency));
    this.leaseMs = options.leaseMs ?? 15_000;
    this.waitMs = options.waitMs ?? 2_000;
    this.policy = {
      maxAttempts: options.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
      baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    };
    this.slots = new Semaphore(this.concurrency);
    this.signals = new SignalWindow(ctx, this.manifestEveryMs(), (report) => {
      this.stats.signalledDrains++;
      this.stats.manifests += report.manifests.length;
      this.stats.notified += report.notified;
      this.stats.manifestFailures += report.manifestFailures;
      this.stats.notifyFailures += report.notifyFailures;
    });
  }

  private manifestEveryMs(): number {
    return Math.max(1, this.options.manifestEveryMs ?? 60_000);
  }

  async run(): Promise<WorkerStats> {
    const onAbort = (): void => this.stop('signal');
    this.options.signal?.addEventListener('abort', onAbort, { once: true });
    if (this.options.signal?.aborted) this.stop('signal');
    this.ctx.logger.info(
      {
        concurrency: this.concurrency,
        maxBatch: this.maxBatch,
        leaseMs: this.leaseMs,
        owner: this.ctx.owner,
      },
      'worker started',
    );
    await this.upkeep();
    const timers = this.startTimers();
    try {
      while (!this.stopping) {
        if (await this.pausedForOutage()) continue;
        if (this.inHand.size >= this.concurrency + this.maxBatch) {
          await this.wake.next();
          continue;
        }
        if (this.idle()) {
          this.stop('idle');
          break;
        }
        for (const message of await this.pull()) this.accept(message);
      }
    } finally {
      for (const timer of timers) clearInterval(timer);
      this.options.signal?.removeEventListener('abort', onAbort);
      while (this.work.size > 0) await Promise.all([...this.work]);
      await this.signals.close();
      await this.queue.close().catch(() => undefined);
    }
    this.stats.queueReconnects = this.queue.reconnects;
    this.ctx.logger.info({ ...this.stats, durationMs: Date.now() - this.stats.startedAt }, 'worker stopped');
    this.options.onProgress?.(this.stats);
    return this.stats;
  }

  private stop(reason: NonNullable<WorkerStats['stoppedBy']>): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stats.stoppedBy = reason;
    this.ctx.logger.info(
      { reason, inHand: this.inHand.size },
      'worker stopping: no more pulls; finishing the work in hand',
    );
    this.wake.notify();
  }

  private async pull(): Promise<QueueMessage[]> {
    let queue: Queue;
    try {
      queue = await this.queue.get();
    } catch {
      await this.wake.sleep(this.queueBackoff(), () => this.stopping);
      this.lastBusyAt = Date.now();
      return [];
    }
    const max = Math.min(this.maxBatch, this.concurrency + this.maxBatch - this.inHand.size);
    const started = Date.now();
    try {
      const messages = await queue.pull(max, this.leaseMs, this.waitMs);
      this.queue.succeeded();
      if (messages.length > 0 || this.inHand.size > 0) this.lastBusyAt = Date.now();
      // the queue ran dry with nothing in hand: what was delivered since the last drain is one drain
      else void this.signals.close();
      // a backend that answers "empty" without waiting (or --wait 0) must not make this loop
      // spin: each pull that ends at once would follow the last in a microtask, and the work
      // in hand, which needs timers and I/O callbacks, would wait until its leases ran out
      if (messages.length === 0) {
        const pause = Math.min(this.waitMs, 100) - (Date.now() - started);
        await this.wake.sleep(Math.max(pause, EMPTY_PULL_PAUSE_MS), () => this.stopping);
      }
      return messages;
    } catch (error) {
      this.stats.queueErrors++;
      this.queue.failed(error, 'pull');
      await this.wake.sleep(this.queueBackoff(), () => this.stopping);
      this.lastBusyAt = Date.now();
      return [];
    }
  }

  private accept(message: QueueMessage): void {
    this.stats.pulled++;
    this.inHand.set(message.id, message);
    this.stats.inHand = this.inHand.size;
    const task = this.process(message)
      .catch((error: unknown) =>
        this.ctx.logger.error(
          { err: error, id: message.id },
          'worker could not settle a message; it comes back when its lease ends',
        ),
      )
      .finally(() => {
        this.inHand.delete(message.id);
        this.stats.inHand = this.inHand.size;
        this.work.delete(task);
        this.wake.notify();
      });
    this.work.add(task);
  }

  private async process(message: QueueMessage): Promise<void> {
    const results = await this.slots.run(async () =>
      this.stopping ? undefined : this.routeMessage(message),
    );
    if (!results) {
      this.stats.handedBack++;
      this.stats.settled++;
      await this.queueOp('nack', (q) => q.nack(message.id, 0));
      return;
    }
    const settlement = settleMessage(message, results, this.policy, {
      patient: true,
      random: this.options.random,
    });
    countSettled(this.stats, settlement);
    if (message.malformed !== undefined) this.stats.malformed++;
    if (settlement.action === 'ack' && results.length > 0 && !results.some(isOutage)) this.outageLevel = 0;
    await applySettlement(message, settlement, this.target, this.ctx.logger);
  }

  private async routeMessage(message: QueueMessage): Promise<RouteResult[]> {
    if (message.malformed !== undefined || message.ignore !== undefined) return [];
    const results: RouteResult[] = [];
    for (const event of [message.event, ...(message.extraEvents ?? [])])
      results.push(await this.route(event));
    return results;
  }

  /**
   * Routes an event; the same object and generation in two messages in hand
   * is routed once. An event naming no generation (S3, unversioned) is told
   * apart by its id: a write after a routing's look is not that routing's.
   */
  private route(event: ObjectEvent): Promise<RouteResult> {
    const generation = event.generation ?? `?${event.eventId ?? ''}`;
    const key = `${event.project ?? ''}\u0000${event.bucket}\u0000${event.key}\u0000${generation}`;
    const running = this.routing.get(key);
    if (running) return running;
    const routed = this.ctx.router.route(event).then((result) => {
      countOutcome(this.stats, result);
      this.signals.add(result);
      if (isOutage(result)) this.outage(result.error);
      return result;
    });
    this.routing.set(key, routed);
    void routed.finally(() => this.routing.delete(key));
    return routed;
  }

  /** Acks are grouped: those settled in the same turn of the event loop go in one call. */
  private ack(id: string): Promise<void> {
    if (!this.ackBatch) {
      const batch: { ids: string[]; done: Promise<void> } = { ids: [], done: Promise.resolve() };
      batch.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        if (this.ackBatch === batch) this.ackBatch = undefined;
        return this.queueOp('ack', (q) => q.ack(batch.ids), batch.ids.length);
      });
      this.ackBatch = batch;
    }
    this.ackBatch.ids.push(id);
    return this.ackBatch.done;
  }

  /** A queue call whose failure is counted and logged, never thrown: the message comes back when its lease ends. */
  private async queueOp(operation: string, call: (queue: Queue) => Promise<void>, count = 1): Promise<void> {
    let queue: Queue;
    try {
      queue = await this.queue.get();
    } catch {
      this.stats.queueErrors += count;
      return;
    }
    try {
      await call(queue);
      this.queue.succeeded();
    } catch (error) {
      this.stats.queueErrors += count;
      this.queue.failed(error, operation);
    }
  }

  private outage(error: { code: string; message: string } | undefined): void {
    if (this.pausedUntil > Date.now()) return;
    this.outageLevel++;
    this.stats.outages++;
    const pauseMs = Math.min(MAX_OUTAGE_PAUSE_MS, 1_000 * 2 ** (this.outageLevel - 1));
    this.pausedUntil = Date.now() + pauseMs;
    this.ctx.logger.warn(
      { code: error?.code, error: error?.message, pauseMs },
      'a backend is unreachable: pausing pulls, then checking the ledger',
    );
  }

  /** True while pulls are paused after an outage (the caller loops); probes the ledger once the pause is over. */
  private async pausedForOutage(): Promise<boolean> {
    if (this.pausedUntil === 0) return false;
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      await this.wake.sleep(wait, () => this.stopping);
      return true;
    }
    try {
      await this.ctx.ledger.get(PROBE_ID);
      this.pausedUntil = 0;
      this.ctx.logger.info('the ledger answers again: pulling');
      return false;
    } catch (error) {
      this.pausedUntil = 0;
      this.outage({ code: errorCode(error), message: errorMessage(error) });
      return true;
    }
  }

  private queueBackoff(): number {
    return Math.min(MAX_QUEUE_BACKOFF_MS, 250 * 2 ** Math.max(0, this.queue.failureCount - 1));
  }

  private idle(): boolean {
    const limit = this.options.idleExitMs;
    if (limit === undefined || this.inHand.size > 0) return false;
    return Date.now() - this.lastBusyAt >= limit;
  }

  private startTimers(): NodeJS.Timeout[] {
    const timers: NodeJS.Timeout[] = [];
    timers.push(
      keepLeasesAlive(
        () => this.queue.peek(),
        () => [...this.inHand.keys()],
        this.leaseMs,
        (error) => this.queue.failed(error, 'extend'),
      ),
    );
    const every = this.options.progressEveryMs ?? 30_000;
    if (every > 0) {
      let previous = { settled: 0, at: this.stats.startedAt };
      timers.push(
        setInterval(() => {
          const now = Date.now();
          this.stats.queueReconnects = this.queue.reconnects;
          const { settled, acked, nacked, deadLettered, inHand, queueErrors, outages } = this.stats;
          this.ctx.logger.info(
            { settled, acked, nacked, deadLettered, inHand, queueErrors, outages },
            `worker progress: ${progressLine(this.stats, previous, now)}`,
          );
          previous = { settled: this.stats.settled, at: now };
          this.options.onProgress?.(this.stats);
        }, every),
      );
    }
    timers.push(
      setInterval(
        () => {
          if (this.signals.due()) void this.signals.close();
        },
        Math.min(1_000, this.manifestEveryMs()),
      ),
    );
    const maxAge = this.options.tempMaxAgeMs ?? 10 * 60_000;
    if (maxAge > 0) timers.push(setInterval(() => void this.upkeep(), Math.max(1_000, maxAge / 2)));
    for (const timer of timers) timer.unref();
    return timers;
  }

  /** Releases dead local processes' claims and sweeps abandoned temp files; failures are logged, never fatal. */
  private async upkeep(): Promise<void> {
    if (this.upkeepRunning) return;
    this.upkeepRunning = true;
    try {
      this.stats.releasedClaims += await releaseDeadLocalClaims(this.ctx);
      this.stats.groupsTimedOut += (await this.ctx.router.expireGroups()).length;
      const maxAge = this.options.tempMaxAgeMs ?? 10 * 60_000;
      if (maxAge > 0) {
        const removed = await sweepTempFiles(this.ctx, maxAge);
        if (removed > 0) this.ctx.logger.info({ removed }, 'removed temp files dead processes left');
        this.stats.tempFilesRemoved += removed;
      }
    } catch (error) {
      this.ctx.logger.warn(
        { code: errorCode(error), error: errorMessage(error) },
        'worker upkeep failed; trying again later',
      );
    } finally {
      this.upkeepRunning = false;
    }
  }
}
