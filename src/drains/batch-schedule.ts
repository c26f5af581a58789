import { Cron } from 'croner';
import { ConfigInvalidError, errorMessage } from '../model/errors.js';
import type { Queue } from '../queue/types.js';
import { drainExclusive, type ExclusiveDrainOptions, type ExclusiveDrainResult } from './batch-run.js';
import type { Context } from '../runtime/context.js';

export interface BatchScheduleOptions extends Omit<ExclusiveDrainOptions, 'signal'> {
  /**
   * When to drain, in unix-cron syntax as Cloud Scheduler takes it (5 fields:
   * minute hour day-of-month month day-of-week, e.g. `*\/5 * * * *`); a
   * leading sixth field for seconds is also accepted.
   */
  schedule: string;
  /** IANA time zone of the schedule (default: the process's). */
  timezone?: string;
  /** Called after each tick's drain (or skip). */
  onDrain?(result: ExclusiveDrainResult): void;
}

export interface BatchSchedule {
  /** When the next drain is due. */
  nextRun(): Date | null;
  /** Runs a drain now (as a tick would); resolves with its result, or undefined when one was already running here. */
  runNow(): Promise<ExclusiveDrainResult | undefined>;
  /** Stops the schedule; a drain in progress finishes its batch in hand and is awaited. */
  stop(): Promise<void>;
}

/**
 * Parses a schedule and its time zone without starting it, and computes its
 * next run (croner only meets a bad time zone there, at the first tick):
 * throws ConfigInvalidError naming the pattern or the zone.
 */
export function checkSchedule(schedule: string, timezone?: string): void {
  if (timezone !== undefined) checkTimezone(timezone);
  let job: Cron | undefined;
  try {
    job = new Cron(schedule, { paused: true, mode: '5-or-6-parts', ...(timezone ? { timezone } : {}) });
    job.nextRun();
  } catch (error) {
    throw new ConfigInvalidError(
      '--schedule',
      `invalid cron schedule ${JSON.stringify(schedule)}${timezone ? ` in time zone ${timezone}` : ''}: ${errorMessage(error)}`,
      { schedule, ...(timezone ? { timezone } : {}) },
    );
  } finally {
    job?.stop();
  }
}

function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new ConfigInvalidError(
      '--timezone',
      `expected an IANA time zone such as Europe/Paris or UTC, got ${JSON.stringify(timezone)}`,
      { timezone },
    );
  }
}

/**
 * Batch mode in a long-running server: on each tick of `schedule` one drain
 * runs (see drainExclusive). A tick while a drain is still running in this
 * process is skipped; a drain of another process holding the lock makes the
 * tick a logged skip. Crash recovery runs with the first drain only: later
 * ticks of a live process have no interrupted run of their own to finish
 * (messages a dead worker held come back through the queue).
 */
export function startBatchSchedule(ctx: Context, queue: Queue, options: BatchScheduleOptions): BatchSchedule {
  checkSchedule(options.schedule, options.timezone);
  const { schedule, timezone, onDrain, ...drainOptions } = options;
  const stopping = new AbortController();
  let running: Promise<ExclusiveDrainResult | undefined> | undefined;
  let recovered = false;

  const tick = (): Promise<ExclusiveDrainResult | undefined> => {
    if (running) {
      ctx.logger.info('previous drain still running: tick skipped');
      return Promise.resolve(undefined);
    }
    if (stopping.signal.aborted) return Promise.resolve(undefined);
    const recover = drainOptions.recover !== false && !recovered;
    running = drainExclusive(ctx, queue, { ...drainOptions, recover, signal: stopping.signal })
      .then((result) => {
        if (!result.skipped) recovered = true;
        onDrain?.(result);
        return result;
      })
      .catch((error: unknown) => {
        ctx.logger.error({ err: error }, 'scheduled drain failed; the next tick tries again');
        return undefined;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const job = new Cron(
    schedule,
    { mode: '5-or-6-parts', ...(timezone ? { timezone } : {}) },
    () => void tick(),
  );
  ctx.logger.info({ schedule, next: job.nextRun()?.toISOString() }, 'batch schedule started');
  return {
    nextRun: () => job.nextRun(),
    runNow: tick,
    async stop() {
      job.stop();
      stopping.abort();
      await running;
    },
  };
}
