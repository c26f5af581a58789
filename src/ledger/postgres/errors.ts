import { PermanentError, SwitchyardError, TransientError } from '../../model/errors.js';

/**
 * How a failed PostgreSQL call is classified, and retried.
 *
 * - `connection`: the server is unreachable, restarting, or dropped us
 *   (ECONNREFUSED, ECONNRESET, 57P01 admin_shutdown, 57P03 cannot_connect_now,
 *   class 08…). Transient.
 * - `aborted`: the server refused this statement but may accept it again
 *   (40001 serialization failure, 40P01 deadlock, class 53 resources,
 *   55P03 lock not available, 57014 query canceled). Transient, and the
 *   statement certainly did not commit.
 * - `permanent`: anything else (a bug, a constraint): retrying will not help.
 *
 * A connection failure while a statement was in flight leaves its outcome
 * unknown; callers retry only statements that are safe to run twice.
 */
export type FailureKind = 'connection' | 'aborted' | 'permanent';

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT',
]);
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const ABORTED_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014']);
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection terminated',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
  'the database system is',
];

export function classifyPgError(error: unknown): FailureKind {
  if (error instanceof SwitchyardError) return error.transient ? 'connection' : 'permanent';
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    if (CONNECTION_ERRNOS.has(code) || CONNECTION_SQLSTATES.has(code) || code.startsWith('08'))
      return 'connection';
    if (ABORTED_SQLSTATES.has(code) || code.startsWith('53') || code.startsWith('58')) return 'aborted';
  }
  if (error instanceof AggregateError && error.errors.some((e) => classifyPgError(e) === 'connection'))
    return 'connection';
  const message = error instanceof Error ? error.message : String(error);
  if (CONNECTION_MESSAGES.some((m) => message.includes(m))) return 'connection';
  return 'permanent';
}

/** Wraps a driver failure: TransientError (E_BACKEND) the router retries, or PermanentError. */
export function wrapPgError(error: unknown, operation: string): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  const kind = classifyPgError(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  const details = { backend: 'postgres', operation, ...(typeof code === 'string' ? { sqlState: code } : {}) };
  const reason = error instanceof Error ? error.message || error.name : String(error);
  if (kind === 'permanent') {
    return new PermanentError(
      'E_BACKEND_PERMANENT',
      `[switchyard] [ledger] postgres ${operation} failed: ${reason}`,
      details,
      {
        cause: error,
      },
    );
  }
  return new TransientError(
    'E_BACKEND',
    `[switchyard] [ledger] postgres ${operation} failed, will retry: ${reason}`,
    details,
    {
      cause: error,
    },
  );
}

export interface RetryOptions {
  /** Give up after this long (ms) and throw the last failure as TransientError. */
  budgetMs: number;
  /** First pause; doubles up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { budgetMs: 30_000, initialDelayMs: 100, maxDelayMs: 2_000 };

/**
 * Runs `run` until it succeeds, retrying transient failures with exponential
 * backoff within the budget. `idempotent: false` retries only failures that
 * prove the statement did not commit (`aborted`, or a refused connection).
 */
export async function withPgRetry<T>(
  operation: string,
  run: () => Promise<T>,
  options: RetryOptions & { idempotent: boolean; isClosed?: () => boolean },
): Promise<T> {
  const deadline = Date.now() + options.budgetMs;
  let delay = options.initialDelayMs;
  for (;;) {
    try {
      return await run();
    } catch (error) {
      const kind = classifyPgError(error);
      const retriable =
        kind === 'aborted' || (kind === 'connection' && (options.idempotent || neverSent(error)));
      if (!retriable || Date.now() + delay > deadline || options.isClosed?.())
        throw wrapPgError(error, operation);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, options.maxDelayMs);
    }
  }
}

/** Failures that happen before a statement reaches the server: it cannot have run. */
function neverSent(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === '57P03' || code === '53300') return true;
  if (error instanceof AggregateError) return error.errors.every(neverSent);
  const message = error instanceof Error ? error.message : '';
  return (
    message.includes('timeout exceeded when trying to connect') || message.includes('the database system is')
  );
}
