import type { Logger } from '../util/log.js';
import type { QueueMessage } from '../queue/types.js';
import { TERMINAL_OUTCOMES, type RouteResult } from '../router/result.js';
import { backoffDelay, type RetryPolicy } from '../router/retry.js';

/** What a drain or a worker does with one queue message once its events were routed. */
export type Settlement =
  | { action: 'ack'; ignored?: string }
  | { action: 'nack'; delayMs: number; error: { code: string; message: string } }
  | { action: 'dead-letter'; reason: string };

export interface SettleOptions {
  /**
   * The long-running worker's patience: a message is never dead-lettered for
   * failures that are not its own (another worker holding its delivery, an
   * unreachable backend: isOutage); it is nacked again with the capped
   * backoff however many deliveries it took. The queue's own delivery limit
   * (NATS `maxDeliver`, a Pub/Sub or SQS redrive policy) still bounds it.
   */
  patient?: boolean;
  random?: (() => number) | undefined;
}

/** Route-level failures that say the backend (ledger, source store) was unreachable, not that the message is bad. */
const OUTAGE_CODES: ReadonlySet<string> = new Set(['E_BACKEND']);
const IN_FLIGHT = { code: 'E_IN_FLIGHT', message: 'another worker holds a delivery of this object' };

/**
 * True when routing did not run because a backend was unreachable: the router
 * could not stat the source or reach the ledger (a transient error at the
 * event level, no delivery recorded). The worker pauses pulling on it.
 */
export function isOutage(result: RouteResult): boolean {
  return result.outcome === 'failed' && result.error !== undefined && OUTAGE_CODES.has(result.error.code);
}

/**
 * Decides a message's fate (invariant 5), for the drain and the worker alike:
 * - `malformed` (an unreadable body) → dead letter at once, reason
 *   `E_MESSAGE_UNREADABLE: …` (the queue keeps the body); `ignore` → ack;
 * - every event terminal → ack, except a permanent failure the ledger did not
 *   record (no delivery: unknown or ambiguous bucket, …), which is
 *   dead-lettered so it stays visible;
 * - any event not terminal (`failed`, `in-flight`) → nack after the larger of
 *   the exponential backoff for this attempt and the router's `retryAfterMs`,
 *   or, once `attempts >= maxAttempts`, dead letter with the last error
 *   (unless `patient` and none of the failures is the message's own).
 */
export function settleMessage(
  message: QueueMessage,
  results: RouteResult[],
  policy: RetryPolicy,
  options: SettleOptions = {},
): Settlement {
  if (message.malformed !== undefined)
    return { action: 'dead-letter', reason: `E_MESSAGE_UNREADABLE: ${message.malformed}` };
  if (message.ignore !== undefined) return { action: 'ack', ignored: message.ignore };

  const pending = results.filter((r) => !TERMINAL_OUTCOMES.has(r.outcome));
  if (pending.length > 0) {
    const nack = (error: { code: string; message: string }): Settlement => {
      const retryAfter = Math.max(0, ...pending.map((r) => r.retryAfterMs ?? 0));
      const backoff = backoffDelay(policy, message.attempts, options.random ?? Math.random);
      return { action: 'nack', delayMs: Math.max(backoff, retryAfter), error };
    };
    const error = lastError(pending);
    if (message.attempts < policy.maxAttempts) return nack(error);
    if (options.patient && pending.every((r) => r.outcome === 'in-flight' || isOutage(r)))
      return nack((pending[0] as RouteResult).error ?? IN_FLIGHT);
    return {
      action: 'dead-letter',
      reason: `gave up after ${message.attempts} attempt(s): ${error.code}: ${error.message}`,
    };
  }

  const unrecorded = results.find(
    (r) => r.outcome === 'dead' && r.deliveries.length === 0 && r.error?.code !== 'E_KEY_UNSAFE',
  );
  if (unrecorded) {
    const error = unrecorded.error ?? { code: 'E_UNKNOWN', message: 'permanent failure' };
    return { action: 'dead-letter', reason: `${error.code}: ${error.message}` };
  }
  return { action: 'ack' };
}

/** Where a settlement goes: the queue's calls, or a caller's wrapper that groups acks or counts failures. */
export interface SettleTarget {
  ack(id: string): Promise<void>;
  nack(id: string, delayMs: number): Promise<void>;
  deadLetter(id: string, reason: string): Promise<void>;
}

/** Carries out a settlement, logging what an operator looks for: a notification ignored, a message dead-lettered. */
export function applySettlement(
  message: QueueMessage,
  settlement: Settlement,
  target: SettleTarget,
  logger: Logger,
): Promise<void> {
  if (settlement.action === 'ack') {
    if (settlement.ignored !== undefined)
      logger.info({ id: message.id, reason: settlement.ignored }, 'notification ignored');
    return target.ack(message.id);
  }
  if (settlement.action === 'nack') return target.nack(message.id, settlement.delayMs);
  logger.warn(
    { id: message.id, bucket: message.event.bucket, key: message.event.key, reason: settlement.reason },
    'message dead-lettered',
  );
  return target.deadLetter(message.id, settlement.reason);
}

function lastError(pending: RouteResult[]): { code: string; message: string } {
  for (const result of pending) {
    if (result.error) return result.error;
    const failed = result.deliveries.find((d) => d.error);
    if (failed?.error) return failed.error;
  }
  const first = pending[0];
  if (first?.outcome === 'in-flight') return IN_FLIGHT;
  return { code: 'E_FAILED', message: `outcome ${first?.outcome ?? 'unknown'}` };
}
