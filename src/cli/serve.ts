import { Command, InvalidArgumentError, Option } from 'commander';
import type { RuntimeConfig } from '../config/load.js';
import type { QuietPeriods } from '../config/schema.js';
import { UsageError } from '../model/errors.js';
import { queueSink, type EventSink } from '../intake/sink.js';
import type { Logger } from '../util/log.js';
import { drainCompleted } from '../drains/batch-run.js';
import { checkSchedule, startBatchSchedule, type BatchSchedule } from '../drains/batch-schedule.js';
import type { Context } from '../runtime/context.js';
import { openMeteredContext, startEventMode, type EventMode, type EventModeOptions } from '../modes/event.js';
import type { Metrics } from '../observability/metrics.js';
import { recoverInterrupted } from '../runtime/recover.js';
import { expireGroupsEvery, type GroupExpiry } from '../runtime/group-expiry.js';
import type { Queue } from '../queue/types.js';
import { openConfiguredQueue } from '../queue/url.js';
import {
  configFrom,
  duration,
  daemonLoggerFrom,
  nonNegativeInt,
  positiveInt,
  withCommonOptions,
  type CommonOptionValues,
  type Io,
} from './common.js';

interface ServeOptions extends CommonOptionValues {
  port?: number;
  host?: string;
  watch: boolean;
  bodyLimit?: number;
  mode: 'event' | 'batch';
  schedule?: string;
  timezone?: string;
  maxBatch?: number;
  timeBudget?: number;
  grace: number;
  settle?: number;
  publicReads?: boolean;
  groupCheck: number;
}

/** Sizes like `1048576`, `512KiB`, `1MiB`, `2mb`. */
export function byteSize(value: string): number {
  const m = /^(\d+)\s*(b|kb|kib|k|mb|mib|m)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected a size like 1048576, 512KiB or 1MiB, got "${value}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  const n = Number(m[1]) * factor;
  if (n < 1) throw new InvalidArgumentError(`expected a positive size, got "${value}"`);
  return n;
}

export function serveCommand(io: Io, setExit: (code: number) => void): Command {
  const command = declareServeOptions();
  return command.action(async (options: ServeOptions) => {
    const config = await configFrom(options, io);
    const logger = daemonLoggerFrom(options);
    checkBatchMode(options);
    const queue = options.mode === 'batch' ? await openConfiguredQueue(config) : undefined;
    const { ctx, metrics } = await openMeteredContext(config, logger, queue ? { queue } : {});
    const mode = await startServing(io, options, config, logger, { ctx, metrics, queue });
    io.stderr.write(
      `switchyard serving on ${mode.url} (${options.mode} mode${options.watch ? ', watching local source buckets' : ''})\n`,
    );
    const code = await untilSignal(mode, logger);
    setExit(code);
  });
}

/** The `serve` command with its options (names, defaults and help text). */
function declareServeOptions(): Command {
  return withCommonOptions(
    new Command('serve').description(
      'event mode: receive notifications on POST /events (GCS CloudEvents, Pub/Sub push, S3, SNS, EventBridge) and watch local source buckets; ' +
        'batch mode: queue them and drain on a schedule',
    ),
    { queue: true, daemon: true },
  )
    .option(
      '--port <n>',
      'port to listen on (default: server.port, else $PORT, else 8080; 0 picks a free port)',
      nonNegativeInt,
    )
    .option('--host <host>', 'address to listen on (default 127.0.0.1; 0.0.0.0 needs a credential)')
    .option('--no-watch', 'HTTP receiver only: do not watch local source buckets')
    .option(
      '--settle <duration>',
      'folder watcher: route a file only once its size and mtime stayed unchanged this long, e.g. 10s ' +
        '(every bucket watch.settle does not name; 0: none, a file is complete once no process holds it open)',
      duration,
    )
    .option('--body-limit <size>', 'largest accepted request body (default 1MiB)', byteSize)
    .option(
      '--public-reads',
      'the dashboard, GET /api/* and /metrics need no credential even when one is configured (actions and POST /events still do)',
    )
    .addOption(
      new Option(
        '--mode <mode>',
        'event: route each event before answering; batch: enqueue, drain on --schedule',
      )
        .choices(['event', 'batch'])
        .default('event'),
    )
    .option('--schedule <cron>', 'batch mode: when to drain (unix cron, e.g. "*/5 * * * *")')
    .option('--timezone <tz>', 'batch mode: IANA time zone of --schedule')
    .option('--max-batch <n>', 'batch mode: messages pulled at a time (default: --concurrency)', positiveInt)
    .option('--time-budget <duration>', 'batch mode: stop pulling after this long per drain', duration)
    .option('--grace <duration>', 'longest wait for requests in flight at shutdown', duration, 30_000)
    .option(
      '--group-check <duration>',
      'event mode: how often incomplete groups are checked against their group_timeout (batch mode: each drain)',
      duration,
      60_000,
    );
}

/** Batch mode needs a valid --schedule (and --timezone, when given); event mode needs neither. */
function checkBatchMode(options: ServeOptions): void {
  if (options.mode !== 'batch') return;
  if (!options.schedule)
    throw new UsageError('[switchyard] [serve] --mode batch needs --schedule CRON (e.g. "*/5 * * * *")');
  checkSchedule(options.schedule, options.timezone);
}

/**
 * Recovers interrupted deliveries (event mode), starts the receiver and the
 * watcher, then the drain schedule (batch mode). If any step fails, the
 * context and the queue are closed before the error goes on.
 */
async function startServing(
  io: Io,
  options: ServeOptions,
  config: RuntimeConfig,
  logger: Logger,
  opened: { ctx: Context; metrics: Metrics; queue: Queue | undefined },
): Promise<EventMode> {
  const { ctx, metrics, queue } = opened;
  let schedule: BatchSchedule | undefined;
  let expiry: GroupExpiry | undefined;
  try {
    if (!config.dryRun && !queue) await recoverBeforeServing(ctx, logger);
    const sink: EventSink | undefined = queue ? queueSink(queue) : undefined;
    const mode = await startEventMode(ctx, {
      ...listenOptions(options, config, io),
      metrics,
      ...(sink ? { sink } : {}),
      onStop: async () => {
        await expiry?.stop();
        await schedule?.stop();
        await queue?.close();
      },
    });
    if (queue) schedule = startSchedule(ctx, queue, options, metrics);
    else if (!config.dryRun) expiry = expireGroupsEvery(ctx, options.groupCheck);
    return mode;
  } catch (error) {
    await ctx.close();
    await queue?.close();
    throw error;
  }
}

async function recoverBeforeServing(ctx: Context, logger: Logger): Promise<void> {
  const { results, tempFilesRemoved } = await recoverInterrupted(ctx);
  if (results.length || tempFilesRemoved)
    logger.info({ recovered: results.length, tempFilesRemoved }, 'recovered interrupted deliveries');
}

/** Where and how the receiver listens and the watcher watches, from the flags and the config. */
function listenOptions(
  options: ServeOptions,
  config: RuntimeConfig,
  io: Io,
): Pick<EventModeOptions, 'port' | 'host' | 'watch' | 'watcher' | 'graceMs' | 'bodyLimit' | 'publicReads'> {
  return {
    port: listenPort(options, config, io),
    host: options.host ?? config.server.host ?? '127.0.0.1',
    publicReads: options.publicReads === true,
    watch: options.watch,
    watcher: { quiet: quietPeriods(config, options.settle) },
    graceMs: options.grace,
    ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
  };
}

function startSchedule(ctx: Context, queue: Queue, options: ServeOptions, metrics: Metrics): BatchSchedule {
  return startBatchSchedule(ctx, queue, {
    onDrain: (result) => {
      if (drainCompleted(result)) metrics.drainSucceeded();
      if (!result.skipped) metrics.signalled(result.report);
    },
    schedule: options.schedule!,
    ...(options.timezone ? { timezone: options.timezone } : {}),
    ...(options.maxBatch ? { maxBatch: options.maxBatch } : {}),
    ...(options.timeBudget ? { timeBudgetMs: options.timeBudget } : {}),
  });
}

/** `watch.settle` of the config, its default replaced by `--settle` when given. */
function quietPeriods(config: RuntimeConfig, flag: number | undefined): QuietPeriods {
  const fromFile = config.watch.settle ?? { buckets: {} };
  return flag === undefined ? fromFile : { ...fromFile, default: flag };
}

function listenPort(options: ServeOptions, config: RuntimeConfig, io: Io): number {
  if (options.port !== undefined) return options.port;
  if (config.server.port !== undefined) return config.server.port;
  const fromEnv = io.env.PORT;
  if (fromEnv && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  return 8080;
}

/** Resolves with exit code 0 once SIGTERM or SIGINT stopped the server gracefully (1 if stopping failed). */
function untilSignal(mode: EventMode, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      logger.info({ signal }, 'signal received');
      mode.stop().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
