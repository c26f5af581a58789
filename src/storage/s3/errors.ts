import { NotFoundError, PermanentError, PreconditionError, TransientError } from '../../model/errors.js';

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchVersion', 'NoSuchUpload']);
/** S3 error codes worth trying again (throttling, timeouts, server trouble). */
export const TRANSIENT_S3_ERRORS: ReadonlySet<string> = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'ConditionalRequestConflict',
  'OperationAborted',
  'TimeoutError',
  'ExpiredToken',
]);

/** The HTTP status an AWS SDK error carries, when it reached a server. */
export function s3Status(error: unknown): number | undefined {
  return (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

export function s3ErrorName(error: unknown): string {
  const e = (error ?? {}) as SdkErrorShape;
  return e.Code ?? e.name ?? e.code ?? 'Error';
}

export function isS3NotFound(error: unknown): boolean {
  return s3Status(error) === 404 || NOT_FOUND.has(s3ErrorName(error));
}

export function isS3PreconditionFailed(error: unknown): boolean {
  return s3Status(error) === 412 || s3ErrorName(error) === 'PreconditionFailed';
}

/**
 * Wraps an S3 SDK failure: missing → NotFoundError, 412 → PreconditionError,
 * 5xx / throttling / network → TransientError `E_BACKEND`, other 4xx →
 * PermanentError `E_BACKEND_PERMANENT`. The SDK error stays as `cause`.
 */
export function mapS3Error(
  error: unknown,
  context: { store: string; operation: string; location: string; expectedGeneration?: string },
): Error {
  if (error instanceof TransientError || error instanceof PermanentError) return error;
  const status = s3Status(error);
  const name = s3ErrorName(error);
  if (isS3NotFound(error) && name !== 'NoSuchBucket')
    return new NotFoundError(context.location, { cause: error });
  if (isS3PreconditionFailed(error)) {
    return new PreconditionError(context.location, context.expectedGeneration ?? 'unknown', undefined, {
      cause: error,
    });
  }
  const message = `[switchyard] [s3] ${context.operation} ${context.location} on ${context.store} failed: ${name}${
    status ? ` (HTTP ${status})` : ''
  }: ${(error as SdkErrorShape | undefined)?.message ?? String(error)}`;
  const details = {
    store: context.store,
    operation: context.operation,
    location: context.location,
    status,
    name,
  };
  if (status === undefined || status >= 500 || status === 429 || TRANSIENT_S3_ERRORS.has(name)) {
    return new TransientError('E_BACKEND', message, details, { cause: error });
  }
  return new PermanentError('E_BACKEND_PERMANENT', message, details, { cause: error });
}
