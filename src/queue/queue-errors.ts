import { errorMessage, PermanentError, SwitchyardError, TransientError } from '../errors.js';

export type SharedQueueBackend = 'nats' | 'pubsub' | 'sqs';

/**
 * Wraps an SDK failure: `[switchyard] [sqs] ReceiveMessage on <queue> failed: …`,
 * with the queue and operation in details and the SDK error as cause.
 * Permanent failures (missing queue, no permission) are not retried by the drain.
 */
export function queueBackendError(
  backend: SharedQueueBackend,
  operation: string,
  target: string,
  error: unknown,
  permanent: boolean,
): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  const message = `[switchyard] [${backend}] ${operation} on ${target} failed: ${errorMessage(error)}`;
  const details = { backend, operation, queue: target };
  return permanent
    ? new PermanentError('E_BACKEND_PERMANENT', message, details, { cause: error })
    : new TransientError('E_BACKEND', message, details, { cause: error });
}

/** An operation this queue cannot do with the options it was opened with. */
export function queueUnsupported(
  backend: SharedQueueBackend,
  target: string,
  what: string,
  fix: string,
): PermanentError {
  return new PermanentError('E_UNSUPPORTED', `[switchyard] [${backend}] ${target}: ${what}; ${fix}`, {
    backend,
    queue: target,
  });
}
