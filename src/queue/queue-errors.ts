import { errorMessage, PermanentError, SwitchyardError, TransientError } from '../model/errors.js';
import { rawPreview, type RawBody } from './raw-body.js';

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

/** Runs one SDK call of `operation` on `target`, its failure wrapped by queueBackendError. */
export async function backendCall<T>(
  backend: SharedQueueBackend,
  operation: string,
  target: string,
  fn: () => Promise<T>,
  isPermanent: (error: unknown) => boolean = () => false,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw queueBackendError(backend, operation, target, error, isPermanent(error));
  }
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

/**
 * A queue message whose body cannot be read as what its queue carries (not
 * UTF-8, not JSON, not an event or notification). Permanent: it is
 * dead-lettered at once, with the first bytes of its body in `details.raw`.
 */
export class MessageUnreadableError extends PermanentError {
  constructor(expected: string, raw: RawBody, problem: string, cause?: unknown) {
    super(
      'E_MESSAGE_UNREADABLE',
      `[switchyard] [queue] unreadable message: expected ${expected}, got ${raw.bytes} byte(s) ${rawPreview(raw)}: ${problem}`,
      { expected, raw, problem },
      cause === undefined ? undefined : { cause },
    );
  }
}
