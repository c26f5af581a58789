import type { QueueMessage } from '../queue/types.js';
import type { RouteResult } from '../router/result.js';
import { backoffDelay, type RetryPolicy } from '../router/retry.js';
import { settleMessage, type Settlement } from './batch-settle.js';

/** Route-level failures that say the backend (ledger, source store) was unreachable, not that the message is bad. */
const OUTAGE_CODES: ReadonlySet<string> = new Set(['E_BACKEND']);

/**
 * True when routing did not run because a backend was unreachable: the router
 * could not stat the source or reach the ledger (a transient error at the
 * event level, no delivery recorded). The worker pauses pulling on it.
 */
export function isOutage(result: RouteResult): boolean {
  return result.outcome === 'failed' && result.error !== undefined && OUTAGE_CODES.has(result.error.code);
}

/**
 * The drain's settlement (settleMessage: ack terminal outcomes, nack
 * transient ones with backoff, dead-letter malformed messages and spent
 * budgets), with one change for a long-running worker: a message is never
 * dead-lettered for failures that are not its own — another worker holding
 * its delivery (`in-flight`) or an unreachable backend (isOutage). Those are
 * nacked again with the capped backoff, however many deliveries it took; the
 * queue's own delivery limit (NATS `maxDeliver`, a Pub/Sub or SQS redrive
 * policy) still bounds them.
 */
export function workerSettlement(
  message: QueueMessage,
  results: RouteResult[],
  policy: RetryPolicy,
  random: () => number = Math.random,
): Settlement {
  const settlement = settleMessage(message, results, policy, random);
  if (settlement.action !== 'dead-letter' || message.malformed !== undefined) return settlement;
  const pending = results.filter((r) => r.outcome === 'failed' || r.outcome === 'in-flight');
  if (pending.length === 0 || !pending.every((r) => r.outcome === 'in-flight' || isOutage(r)))
    return settlement;
  const retryAfter = Math.max(0, ...pending.map((r) => r.retryAfterMs ?? 0));
  const first = pending[0] as RouteResult;
  const error = first.error ?? {
    code: 'E_IN_FLIGHT',
    message: 'another worker holds a delivery of this object',
  };
  return {
    action: 'nack',
    delayMs: Math.max(backoffDelay(policy, message.attempts, random), retryAfter),
    error,
  };
}
