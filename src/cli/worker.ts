import { Command } from 'commander';
import { errorCode, errorMessage, TransientError, UsageError } from '../model/errors.js';
import type { Logger } from '../util/log.js';
import { openContext, type Context } from '../runtime/context.js';
import { runWorker, type WorkerOptions, type WorkerStats } from '../drains/worker.js';
import type { RuntimeConfig } from '../config/load.js';
import { openConfiguredQueue } from '../queue/url.js';
import { DEFAULT_RETRY } from '../router/retry.js';
import {
  configFrom,
  duration,
  daemonLoggerFrom,
  positiveInt,
  printJson,
  withCommonOptions,
  type CommonOptionValues,
  type Io,
} from './common.js';

interface WorkerCliOptions extends CommonOptionValues {
  maxBatch?: number;
  lease: number;
  wait: number;
  maxAttempts: number;
  retryDelay: number;
  progressEvery: number;
  idleExit?: number;
  tempMaxAge: number;
  manifestEvery: number;
}

const HELP = `
A worker is a daemon: it pulls the queue continuously (long-poll), routes what
it pulls with bounded concurrency, acks what reached a terminal outcome, nacks
transient failures with backoff, dead-letters a message after --max-attempts,
and keeps the leases of the messages in hand alive. Start any number of workers
on any number of machines on the same --queue and --ledger: they share the
work, and the ledger makes two workers racing on one file deliver it once.
Producers publish to the same queue: \`switchyard enqueue\`, \`switchyard serve
--mode batch --queue …\`, GCS notifications to Pub/Sub, S3 notifications to SQS.

A killed worker's messages come back after the lease (default 15 s), its
ledger claims after 15 s. While PostgreSQL or the broker is down or
restarting, the worker waits with backoff and reconnects; nothing is acked
before its deliveries are terminal. SIGTERM or SIGINT: stop pulling, finish
the work in hand, ack or nack it, close, exit 0. A progress line is logged
every --progress-every (logs are JSON on standard error).

Rows with write_manifest or notify: what the worker delivered for them is one
drain's _MANIFEST-drain-….json per destination folder and one message per
notify row, sent when the queue runs dry, at most --manifest-every after the
drain's first file, and when the worker stops.

Examples:
  switchyard worker --queue nats://127.0.0.1:4222/switchyard --ledger 'postgres://switchyard@db:5432/switchyard'
  switchyard worker --queue 'pubsub://projects/P/subscriptions/S' --ledger postgres://… --idle-exit 1m
`;

/** `switchyard worker`: a long-running consumer of a shared queue (see HELP). */
export function workerCommand(io: Io, setExit: (code: number) => void): Command {
  const command = declareWorkerOptions();
  return command.action(async (options: WorkerCliOptions) => {
    const config = await configFrom(options, io);
    checkWorkerOptions(config, options);
    const logger = daemonLoggerFrom(options);
    const stop = stopOnSignal(logger);
    try {
      const stats = await work(config, options, logger, stop.signal);
      // --json: the worker's final counts, as its last log line states them
      if (options.json && stats) printJson(io, stats);
      setExit(0);
    } finally {
      stop.dispose();
    }
  });
}

/** The `worker` command with its options (names, defaults and help text). */
function declareWorkerOptions(): Command {
  return withCommonOptions(
    new Command('worker').description(
      'long-running consumer of the queue: route notifications as they arrive; run as many as you like on a shared queue and ledger',
    ),
    { queue: true, daemon: true },
  )
    .option('--max-batch <n>', 'messages pulled at a time (default: --concurrency)', positiveInt)
    .option(
      '--lease <duration>',
      'lease on pulled messages, extended while they are worked on',
      duration,
      15_000,
    )
    .option('--wait <duration>', 'long-poll: how long a pull waits when the queue is empty', duration, 2_000)
    .option(
      '--max-attempts <n>',
      'attempts before a failing delivery is dead (ledger) and its message dead-lettered (queue)',
      positiveInt,
      DEFAULT_RETRY.maxAttempts,
    )
    .option(
      '--retry-delay <duration>',
      'first retry delay; doubles with each attempt (with jitter, at most 5m)',
      duration,
      DEFAULT_RETRY.baseDelayMs,
    )
    .option('--progress-every <duration>', 'how often a progress line is logged (0: never)', duration, 30_000)
    .option(
      '--idle-exit <duration>',
      'exit 0 once the queue stayed empty this long (Cloud Run jobs, CI); default: run until SIGTERM',
      duration,
    )
    .option(
      '--temp-max-age <duration>',
      'remove temp files killed processes left in local buckets once this old (0: never)',
      duration,
      10 * 60_000,
    )
    .option(
      '--manifest-every <duration>',
      "write_manifest / notify rows: a drain's manifests and messages at most this long after its first file (sooner when the queue runs dry)",
      duration,
      60_000,
    )
    .addHelpText('after', HELP);
}

/** Flags a worker refuses: --dry-run (a dry run is `batch --dry-run`), a --lease under 1 s. */
function checkWorkerOptions(config: RuntimeConfig, options: WorkerCliOptions): void {
  if (config.dryRun)
    throw new UsageError(
      '[switchyard] [worker] --dry-run is not supported by a worker; use `switchyard batch --dry-run`',
    );
  if (options.lease < 1_000)
    throw new UsageError(`[switchyard] [worker] --lease must be at least 1s, got ${options.lease} ms`);
}

/**
 * An abort signal raised by the first SIGTERM or SIGINT (a second one is only
 * logged: the work in hand is finished either way); `dispose` removes the handlers.
 */
function stopOnSignal(logger: Logger): { signal: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) {
      logger.warn({ signal }, 'already stopping: finishing the work in hand');
      return;
    }
    logger.info({ signal }, 'signal received');
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal: stop.signal,
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

/** Opens the context (waiting for the ledger), runs the worker until stopped or idle, closes the context. */
async function work(
  config: RuntimeConfig,
  options: WorkerCliOptions,
  logger: Logger,
  signal: AbortSignal,
): Promise<WorkerStats | undefined> {
  const retry = {
    maxAttempts: options.maxAttempts,
    baseDelayMs: options.retryDelay,
    maxDelayMs: DEFAULT_RETRY.maxDelayMs,
  };
  const ctx = await openUntilReady(() => openContext(config, logger, { retry }), logger, signal);
  if (!ctx) return undefined;
  try {
    return await runWorker(ctx, () => openConfiguredQueue(config), workerPlan(config, options, signal));
  } finally {
    await ctx.close();
  }
}

/** The worker's options from the parsed flags and the configuration. */
function workerPlan(config: RuntimeConfig, options: WorkerCliOptions, signal: AbortSignal): WorkerOptions {
  return {
    concurrency: config.concurrency,
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    leaseMs: options.lease,
    waitMs: options.wait,
    maxAttempts: options.maxAttempts,
    baseDelayMs: options.retryDelay,
    progressEveryMs: options.progressEvery,
    ...(options.idleExit !== undefined ? { idleExitMs: options.idleExit } : {}),
    tempMaxAgeMs: options.tempMaxAge,
    manifestEveryMs: options.manifestEvery,
    signal,
  };
}

/**
 * Opens the context, retrying transient failures (ledger unreachable) with
 * backoff until it opens or the worker is told to stop (then undefined).
 * Anything else (bad config, missing referential) is thrown at once.
 */
async function openUntilReady(
  open: () => Promise<Context>,
  logger: Logger,
  signal: AbortSignal,
): Promise<Context | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      if (signal.aborted) return undefined;
      const delayMs = Math.min(30_000, 500 * 2 ** (attempt - 1));
      logger.warn(
        { code: errorCode(error), error: errorMessage(error), attempt, delayMs },
        'cannot open the ledger yet; retrying',
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delayMs);
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
      if (signal.aborted) return undefined;
    }
  }
}
