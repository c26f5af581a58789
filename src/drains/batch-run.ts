import type { Queue } from '../queue/types.js';
import { drain, type DrainOptions, type DrainReport } from './batch.js';
import { acquireDrainLock } from './batch-lock-acquire.js';
import { describeHolder, type LockHolder } from './batch-lock.js';
import type { Context } from '../runtime/context.js';

export interface ExclusiveDrainOptions extends DrainOptions {
  /** SQLite lock expiry unless renewed (default 30 s). */
  lockTtlMs?: number;
  lockHeartbeatMs?: number;
}

export type ExclusiveDrainResult =
  | { skipped: false; report: DrainReport }
  /** Another drain holds the lock; nothing was pulled. */
  | { skipped: 'locked'; holder: LockHolder; message: string };

/** A drain that ran to its end: it emptied the queue or spent its time budget (not skipped, stopped or cut off by a lost lock). */
export function drainCompleted(result: ExclusiveDrainResult): boolean {
  return (
    !result.skipped && (result.report.stoppedBy === 'empty' || result.report.stoppedBy === 'time-budget')
  );
}

/** The lock name for drains of one queue. */
export function drainLockName(queue: Queue): string {
  return `drain:${queue.name}`;
}

/**
 * A drain that never runs alongside another drain of the same queue (see
 * acquireDrainLock): takes the lock, recovers and drains, releases. A lock
 * lost mid-way stops the drain after the batch in hand (`stoppedBy: lock-lost`).
 */
export async function drainExclusive(
  ctx: Context,
  queue: Queue,
  options: ExclusiveDrainOptions = {},
): Promise<ExclusiveDrainResult> {
  const attempt = await acquireDrainLock({
    stateDir: ctx.config.stateDir,
    ledgerUrl: ctx.config.ledgerUrl,
    name: drainLockName(queue),
    owner: ctx.owner,
    logger: ctx.logger,
    ...(options.lockTtlMs !== undefined ? { ttlMs: options.lockTtlMs } : {}),
    ...(options.lockHeartbeatMs !== undefined ? { heartbeatMs: options.lockHeartbeatMs } : {}),
  });
  if (!attempt.acquired) {
    const message = describeHolder(attempt.holder);
    ctx.logger.info({ holder: attempt.holder }, message);
    return { skipped: 'locked', holder: attempt.holder, message };
  }
  const { lock } = attempt;
  const stop = new AbortController();
  const relay = (): void => stop.abort();
  options.signal?.addEventListener('abort', relay, { once: true });
  if (options.signal?.aborted) stop.abort();
  lock.onLost(() => {
    ctx.logger.error(
      { lock: lock.name },
      'the drain lock was lost (taken over or connection gone): stopping after the batch in hand',
    );
    stop.abort();
  });
  try {
    const report = await drain(ctx, queue, { ...options, signal: stop.signal });
    if (lock.lost) report.stoppedBy = 'lock-lost';
    return { skipped: false, report };
  } finally {
    options.signal?.removeEventListener('abort', relay);
    await lock.release();
  }
}
