/**
 * Cloud Function entry points for batch mode on Google Cloud: Cloud Scheduler
 * wakes the function (an HTTP target → `switchyardDrain`, or a Pub/Sub topic →
 * the CloudEvent function `switchyardDrainEvent`); it drains the GCS
 * notification subscription (`SWITCHYARD_QUEUE=pubsub://projects/P/subscriptions/S?deadLetterTopic=…`)
 * by synchronous pull in batches, extending ack deadlines while it works and
 * acking only messages whose events reached a terminal outcome.
 *
 * Configuration (read here, at the edge): SWITCHYARD_QUEUE (required),
 * SWITCHYARD_ROUTES, SWITCHYARD_CONFIG (every project the referential names
 * must be declared there, see cloudConfig), SWITCHYARD_LEDGER, SWITCHYARD_STATE
 * (default /tmp/switchyard), SWITCHYARD_DATA, SWITCHYARD_CONCURRENCY,
 * SWITCHYARD_ROUTES_POLL, SWITCHYARD_MAX_BATCH, SWITCHYARD_TIME_BUDGET
 * (default 45s: keep it under the function's timeout), SWITCHYARD_MAX_ATTEMPTS,
 * SWITCHYARD_LEASE, SWITCHYARD_LOG_LEVEL: the names the CLI reads for its
 * flags (src/config/env.ts), so one table in the README documents both.
 */
import {
  cloudEvent,
  http,
  type CloudEventFunction,
  type HttpFunction,
} from '@google-cloud/functions-framework';
import type { RuntimeConfig } from '../../config/load.js';
import { cloudConfig } from './config.js';
import { commonFlagsFromEnv, envDuration, envPositiveInt, envText } from '../../config/env.js';
import { ConfigInvalidError, errorCode, errorMessage } from '../../model/errors.js';
import { createLogger, type Logger } from '../../util/log.js';
import { routeSdkWarnings } from '../../util/sdk-warnings.js';
import { drain, type DrainOptions } from '../../drains/batch.js';
import { drainExclusive, type ExclusiveDrainResult } from '../../drains/batch-run.js';
import { openContext, type Context } from '../../runtime/context.js';
import type { Queue } from '../../queue/types.js';
import { openConfiguredQueue } from '../../queue/url.js';

export interface GcpDrainOptions {
  config: RuntimeConfig;
  logger?: Logger;
  drain?: DrainOptions;
  /**
   * Take the drain lock (default: when the ledger is PostgreSQL, whose
   * advisory lock every instance shares). Without it, drains of one instance
   * still never overlap; keep the function at one instance, or rely on the
   * ledger (two drains of one subscription never deliver a file twice).
   */
  exclusive?: boolean;
}

export type GcpDrainResult = ExclusiveDrainResult | { skipped: 'running'; message: string };

export interface GcpDrain {
  run(): Promise<GcpDrainResult>;
  /** HTTP function: 200 with the drain report as JSON; 500 when the drain could not run (Cloud Scheduler retries). */
  http: HttpFunction;
  /** CloudEvent function (the scheduler's Pub/Sub message): resolves when drained; rejects when the drain could not run. */
  cloudEvent: CloudEventFunction;
  close(): Promise<void>;
}

/**
 * A drain bound to one configuration. The context (ledger, stores) and the
 * queue are opened on first use and reused by later invocations of the same
 * instance; two invocations at once in one instance do not both drain.
 */
export function createGcpDrain(options: GcpDrainOptions | (() => Promise<GcpDrainOptions>)): GcpDrain {
  let opened: Promise<{ ctx: Context; queue: Queue; settings: GcpDrainOptions }> | undefined;
  let running: Promise<GcpDrainResult> | undefined;

  const open = (): Promise<{ ctx: Context; queue: Queue; settings: GcpDrainOptions }> => {
    opened ??= (async () => {
      const settings = typeof options === 'function' ? await options() : options;
      const logger = settings.logger ?? createLogger({ level: 'info' });
      const ctx = await openContext(settings.config, logger);
      try {
        const queue = await openConfiguredQueue(settings.config);
        return { ctx, queue, settings };
      } catch (error) {
        await ctx.close();
        throw error;
      }
    })();
    opened.catch(() => (opened = undefined));
    return opened;
  };

  const drainOnce = async (): Promise<GcpDrainResult> => {
    const { ctx, queue, settings } = await open();
    const exclusive = settings.exclusive ?? /^postgres(ql)?:\/\//i.test(settings.config.ledgerUrl);
    const drainOptions = settings.drain ?? {};
    if (exclusive) return drainExclusive(ctx, queue, drainOptions);
    return { skipped: false, report: await drain(ctx, queue, drainOptions) };
  };

  const run = (): Promise<GcpDrainResult> => {
    if (running)
      return Promise.resolve({ skipped: 'running', message: 'a drain is already running in this instance' });
    running = drainOnce().finally(() => (running = undefined));
    return running;
  };

  return {
    run,
    http: async (_req, res) => {
      try {
        const result = await run();
        res.status(200).json(result.skipped ? result : result.report);
      } catch (error) {
        (await loggerOf())?.error({ err: error }, 'drain failed');
        res.status(500).json({ error: { code: errorCode(error), message: errorMessage(error) } });
      }
    },
    cloudEvent: async () => {
      await run();
    },
    async close() {
      await running?.catch(() => undefined);
      const current = opened;
      opened = undefined;
      if (!current) return;
      const { ctx, queue } = await current;
      await queue.close();
      await ctx.close();
    },
  };

  async function loggerOf(): Promise<Logger | undefined> {
    return opened?.then((o) => o.ctx.logger).catch(() => undefined);
  }
}

/** The function's settings from its environment variables (the CLI's names: README, "Configuration"). */
export async function gcpDrainOptionsFromEnv(
  env: Record<string, string | undefined>,
  cwd: string = process.cwd(),
): Promise<GcpDrainOptions> {
  const flags = commonFlagsFromEnv(env);
  if (!flags.queue)
    throw new ConfigInvalidError(
      'SWITCHYARD_QUEUE',
      'not set: expected pubsub://projects/P/subscriptions/S (the GCS notification subscription)',
    );
  const config = await cloudConfig({ state: '/tmp/switchyard', ...flags }, env, cwd);
  const drainOptions: DrainOptions = {
    timeBudgetMs: envDuration(env, 'SWITCHYARD_TIME_BUDGET') ?? 45_000,
  };
  const maxBatch = envPositiveInt(env, 'SWITCHYARD_MAX_BATCH');
  if (maxBatch !== undefined) drainOptions.maxBatch = maxBatch;
  const maxAttempts = envPositiveInt(env, 'SWITCHYARD_MAX_ATTEMPTS');
  if (maxAttempts !== undefined) drainOptions.maxAttempts = maxAttempts;
  const lease = envDuration(env, 'SWITCHYARD_LEASE');
  if (lease !== undefined) drainOptions.leaseMs = lease;
  const level = envText(env, 'SWITCHYARD_LOG_LEVEL') ?? 'info';
  const logger = createLogger({ level });
  routeSdkWarnings(logger);
  return { config, logger, drain: drainOptions };
}

/** The drain the registered functions run, configured from the environment on first invocation. */
// eslint-disable-next-line no-restricted-properties -- a Cloud Function's edge: its configuration is its environment
export const environmentDrain: GcpDrain = createGcpDrain(() => gcpDrainOptionsFromEnv(process.env));
http('switchyardDrain', environmentDrain.http);
cloudEvent('switchyardDrainEvent', environmentDrain.cloudEvent);
