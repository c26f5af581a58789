import type { Queue } from '../queue/types.js';

/**
 * Keeps the queue leases of the messages in hand alive while they are routed,
 * for the drain and the worker alike: every third of the lease (at least
 * 250 ms apart) the ids `inHand` returns are extended by `leaseMs` on the
 * queue `queueOf` returns (none: skipped). A failure goes to `onError` and
 * the next tick tries again. Stop it with clearInterval.
 */
export function keepLeasesAlive(
  queueOf: () => Queue | undefined,
  inHand: () => string[],
  leaseMs: number,
  onError: (error: unknown) => void,
): NodeJS.Timeout {
  const timer = setInterval(
    () => {
      const queue = queueOf();
      const ids = inHand();
      if (!queue || ids.length === 0) return;
      queue.extend(ids, leaseMs).catch(onError);
    },
    Math.max(250, leaseMs / 3),
  );
  timer.unref();
  return timer;
}
