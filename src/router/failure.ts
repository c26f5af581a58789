import { errorCode, errorMessage, isTransient, PreconditionError, SwitchyardError } from '../model/errors.js';
import type { DeliveryRecord, Ledger } from '../ledger/types.js';
import type { Logger } from '../util/log.js';
import type { ObjectEvent } from '../model/event.js';
import { resultFromRecord, type DeliveryResult, type RouteResult } from './result.js';
import { backoffDelay, type RetryPolicy } from './retry.js';

/** What recording a failed delivery needs; the router builds it once. */
export interface FailureContext {
  ledger: Ledger;
  retry: RetryPolicy;
  log: Logger;
  now: () => number;
}

/**
 * Records a failed attempt at a claimed delivery: superseded when the source
 * changed under the copy, dead when the error is permanent or the attempts
 * are spent, otherwise failed with its next attempt scheduled.
 */
export async function recordFailure(
  ctx: FailureContext,
  record: DeliveryRecord,
  owner: string,
  error: unknown,
): Promise<DeliveryResult> {
  const attempts = record.attempts + 1;
  const transient = isTransient(error) && !(error instanceof PreconditionError);
  const dead = !transient || attempts >= ctx.retry.maxAttempts;
  const code = errorCode(error);
  const message = errorMessage(error);
  const nextAttemptAt = dead ? undefined : ctx.now() + backoffDelay(ctx.retry, attempts);
  if (error instanceof PreconditionError) {
    // The source changed under the copy: this generation is over; the new one routes on its own.
    await ctx.ledger.transition(record.id, owner, 'superseded', { errorCode: code, lastError: message });
    return { ...resultFromRecord(record, 'superseded'), error: { code, message } };
  }
  await ctx.ledger.transition(record.id, owner, dead ? 'dead' : 'failed', {
    errorCode: code,
    lastError: message,
    nextAttemptAt,
  });
  // the delivery's own line (observability/delivery-log.ts) says it at warn or error; this adds the attempt and the stack
  ctx.log.debug(
    {
      delivery: record.id,
      route: record.routeId,
      code,
      attempts,
      dead,
      ...(error instanceof SwitchyardError ? { error: message } : { err: error }),
    },
    dead ? 'delivery failure recorded: dead' : 'delivery failure recorded: will retry',
  );
  const result = resultFromRecord(record, dead ? 'dead' : 'failed');
  result.error = { code, message };
  if (nextAttemptAt) result.nextAttemptAt = nextAttemptAt;
  return result;
}

/**
 * The ledger could not record the failure either (it is down): the failure
 * is reported as it happened, and the claim lapses with its lease.
 */
export function unrecordedFailure(
  log: Logger,
  record: DeliveryRecord,
  error: unknown,
  failure: unknown,
): DeliveryResult {
  log.warn({ delivery: record.id, err: failure }, 'could not record a delivery failure');
  return {
    ...resultFromRecord(record, 'failed'),
    error: { code: errorCode(error), message: errorMessage(error) },
  };
}

/**
 * An event that failed as a whole (nothing delivered): transient errors are
 * retried after the policy's base delay. With `log`, the failure is logged
 * (a warning when it will be retried).
 */
export function failedEvent(
  event: ObjectEvent,
  error: unknown,
  retry: RetryPolicy,
  log?: Logger,
): RouteResult {
  const transient = isTransient(error);
  if (log) {
    const failed = { err: error, project: event.project, bucket: event.bucket, key: event.key };
    if (transient) log.warn(failed, 'event failed, will retry');
    else log.error(failed, 'event dead');
  }
  return {
    event,
    outcome: transient ? 'failed' : 'dead',
    deliveries: [],
    error: { code: errorCode(error), message: errorMessage(error) },
    ...(transient ? { retryAfterMs: retry.baseDelayMs } : {}),
  };
}
