import type { RouterHooks } from '../router/router.js';

/** Hooks that call each of `all` in turn. */
export function withHooks(...all: Array<RouterHooks | undefined>): RouterHooks {
  const hooks = all.filter((h): h is RouterHooks => h !== undefined);
  return {
    delivery: (result, durationMs) => {
      for (const h of hooks) h.delivery?.(result, durationMs);
    },
    event: (result) => {
      for (const h of hooks) h.event?.(result);
    },
    group: async (outcome) => {
      for (const h of hooks) await h.group?.(outcome);
    },
  };
}
