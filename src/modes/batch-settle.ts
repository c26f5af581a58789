import type { QueueMessage } from '../queue/types.js';
import { TERMINAL_OUTCOMES, type RouteResult } from '../router/result.js';
import { backoffDelay, type RetryPolicy } from '../router/retry.js';

/** What the drain does with one queue message once its events were routed. */
export type Settlement =
  | { action: 'ack'; ignored?: string }
  | { action: 'nack'; delayMs: number; error: { code: string; message: string } }
  | { action: 'dead-letter'; reason: string };

/**
 * Decides a message's fate (invariant 5):
 * - `malformed` (an unreadable body) → dead letter at once, reason
 *   `E_MESSAGE_UNREADABLE: …` (the queue keeps the body); `ignore` → ack;
 * - every event terminal → ack, except a permanent failure the ledger did not
 *   record (no delivery: unknown or ambiguous bucket, …), which is
 *   dead-lettered so it stays visible;
 * - any event not terminal (`failed`, `in-flight`) → nack after the larger of
 *   the exponential backoff for this attempt and the router's `retryAfterMs`,
 *   or, once `attempts >= maxAttempts`, dead letter with the last error.
 */
export function settleMessage(
  message: QueueMessage,
  results: RouteResult[],
  policy: RetryPolicy,
  random: () => number = Math.random,
): Settlement {
  if (message.malformed !== undefined)
    return { action: 'dead-letter', reason: `E_MESSAGE_UNREADABLE: ${message.malformed}` };
  if (message.ignore !== undefined) return { action: 'ack', ignored: message.ignore };

  const pending = results.filter((r) => !TERMINAL_OUTCOMES.has(r.outcome));
  if (pending.length > 0) {
    const error = lastError(pending);
    if (message.attempts >= policy.maxAttempts) {
      return {
        action: 'dead-letter',
        reason: `gave up after ${message.attempts} attempt(s): ${error.code}: ${error.message}`,
      };
    }
    const retryAfter = Math.max(0, ...pending.map((r) => r.retryAfterMs ?? 0));
    return {
      action: 'nack',
      delayMs: Math.max(backoffDelay(policy, message.attempts, random), retryAfter),
      error,
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

function lastError(pending: RouteResult[]): { code: string; message: string } {
  for (const result of pending) {
    if (result.error) return result.error;
    const failed = result.deliveries.find((d) => d.error);
    if (failed?.error) return failed.error;
  }
  const first = pending[0];
  if (first?.outcome === 'in-flight') {
    return { code: 'E_IN_FLIGHT', message: 'another worker holds a delivery of this object' };
  }
  return { code: 'E_FAILED', message: `outcome ${first?.outcome ?? 'unknown'}` };
}
