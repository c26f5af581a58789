import { errorCode, errorMessage } from '../model/errors.js';
import type { Context } from './context.js';

export interface GroupExpiry {
  /** Stops the checks and waits for one in progress. */
  stop(): Promise<void>;
}

/**
 * Dead-letters groups older than their `group_timeout` every `everyMs`
 * (`Router.expireGroups`: the members' deliveries recorded dead, the sources
 * kept), for a long-running process no scan, drain or worker upkeep passes
 * through: `serve` in event mode (the receiver and the watcher). A failed
 * check is logged and tried again at the next tick; the timer never keeps
 * the process alive.
 */
export function expireGroupsEvery(ctx: Pick<Context, 'router' | 'logger'>, everyMs: number): GroupExpiry {
  let running: Promise<void> | undefined;
  const check = async (): Promise<void> => {
    try {
      const expired = await ctx.router.expireGroups();
      if (expired.length > 0) ctx.logger.info({ groups: expired.length }, 'incomplete groups timed out');
    } catch (error) {
      ctx.logger.warn(
        { code: errorCode(error), error: errorMessage(error) },
        'group_timeout check failed; trying again later',
      );
    }
  };
  const timer = setInterval(
    () => {
      running ??= check().finally(() => {
        running = undefined;
      });
    },
    Math.max(10, everyMs),
  );
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
