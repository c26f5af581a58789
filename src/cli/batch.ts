import { Command } from 'commander';
import {
  drainExclusive,
  type ExclusiveDrainOptions,
  type ExclusiveDrainResult,
} from '../drains/batch-run.js';
import type { DrainReport } from '../drains/batch.js';
import type { RuntimeConfig } from '../config/load.js';
import type { Logger } from '../util/log.js';
import { openContext } from '../runtime/context.js';
import { openConfiguredQueue } from '../queue/url.js';
import {
  configFrom,
  duration,
  loggerFrom,
  positiveInt,
  printJson,
  progressReporter,
  withCommonOptions,
  type CommonOptionValues,
  type Io,
} from './common.js';

interface BatchOptions extends CommonOptionValues {
  maxBatch?: number;
  timeBudget?: number;
  maxAttempts: number;
  lease: number;
  retryDelay: number;
}

/**
 * `switchyard batch`: one drain of the queue, then exit (for cron or Cloud
 * Scheduler). Exits 0 when the drain completed, even if some events failed:
 * those stay queued and are retried by later drains, or are dead letters
 * (`switchyard dead-letters list`). Exits 0 too when another drain holds the
 * lock. Exits 1 only when the drain itself could not run (queue or ledger
 * unreachable…).
 */
export function batchCommand(io: Io, setExit: (code: number) => void): Command {
  return declareBatchOptions().action((options: BatchOptions) => runBatch(io, options, setExit));
}

/** The `batch` command with its options (names, defaults and help text). */
function declareBatchOptions(): Command {
  return withCommonOptions(
    new Command('batch').description(
      'drain the queue once: route every queued notification, then exit (for cron / Cloud Scheduler)',
    ),
    { queue: true },
  )
    .option('--max-batch <n>', 'messages pulled at a time (default: --concurrency)', positiveInt)
    .option(
      '--time-budget <duration>',
      'stop pulling after this long, e.g. 5m (default: until the queue is empty)',
      duration,
    )
    .option(
      '--max-attempts <n>',
      'deliveries of a message before a transient failure is dead-lettered',
      positiveInt,
      5,
    )
    .option(
      '--lease <duration>',
      'lease on pulled messages, extended while they are worked on',
      duration,
      60_000,
    )
    .option(
      '--retry-delay <duration>',
      'first nack delay; doubles with each attempt (with jitter, at most 5m)',
      duration,
      1_000,
    );
}

/** Opens the context and the queue, drains once under the drain lock, prints the outcome, closes both. */
async function runBatch(io: Io, options: BatchOptions, setExit: (code: number) => void): Promise<void> {
  const config = await configFrom(options, io);
  const logger = loggerFrom(options);
  const ctx = await openContext(config, logger);
  try {
    const queue = await openConfiguredQueue(config);
    try {
      const result = await drainExclusive(ctx, queue, drainPlan(options, config, io, logger));
      printDrainResult(io, options, result, config.dryRun, queue.name);
      setExit(0);
    } finally {
      await queue.close();
    }
  } finally {
    await ctx.close();
  }
}

/** The drain's options from the parsed flags and the configuration. */
function drainPlan(
  options: BatchOptions,
  config: RuntimeConfig,
  io: Io,
  logger: Logger,
): ExclusiveDrainOptions {
  return {
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    maxAttempts: options.maxAttempts,
    leaseMs: options.lease,
    baseDelayMs: options.retryDelay,
    concurrency: config.concurrency,
    ...(options.timeBudget !== undefined ? { timeBudgetMs: options.timeBudget } : {}),
    onProgress: progressReporter(io, 'batch', !options.json, logger),
  };
}

/** A drain skipped because another holds the lock goes to stderr (or JSON); a report to stdout. */
function printDrainResult(
  io: Io,
  options: BatchOptions,
  result: ExclusiveDrainResult,
  dryRun: boolean,
  queueName: string,
): void {
  if (result.skipped) {
    if (options.json) printJson(io, { skipped: 'locked', holder: result.holder, message: result.message });
    else io.stderr.write(`switchyard: ${result.message}; nothing done\n`);
  } else if (options.json) {
    printJson(io, { dryRun, queue: queueName, ...result.report });
  } else {
    printReport(io, result.report, dryRun);
  }
}

function printReport(io: Io, report: DrainReport, dryRun: boolean): void {
  const verb = dryRun ? 'would route' : 'routed';
  io.stdout.write(
    `${verb} ${report.routed}, unrouted ${report.unrouted}, failed ${report.failed} (dead ${report.dead}), skipped ${report.skipped}${report.waiting > 0 ? `, waiting ${report.waiting}` : ''}\n` +
      `messages ${report.messages} in ${report.batches} batch(es): acked ${report.acked}, retried later ${report.nacked}, ` +
      `dead-lettered ${report.deadLettered}, ignored ${report.ignored}` +
      (report.recovered ? `; recovered ${report.recovered} interrupted` : '') +
      `; ${(report.durationMs / 1000).toFixed(1)}s, stopped: ${report.stoppedBy}\n`,
  );
  for (const file of report.unroutedFiles)
    io.stdout.write(`unrouted (no row matches, left in place): ${file}\n`);
  for (const e of report.errors) io.stderr.write(`${e.source}: ${e.message}\n`);
  for (const d of report.deadLetters) io.stderr.write(`dead letter: ${d.source}: ${d.reason}\n`);
  if (report.manifests.length || report.notified || report.manifestFailures || report.notifyFailures)
    io.stdout.write(
      `drain ${report.id}: manifests ${report.manifests.length} (failed ${report.manifestFailures}), ` +
        `notified ${report.notified} (failed ${report.notifyFailures})\n`,
    );
  for (const e of report.signalErrors)
    io.stderr.write(`${e.kind} ${e.target} (route ${e.route}): ${e.message}\n`);
}
