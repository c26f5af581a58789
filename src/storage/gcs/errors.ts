import { NotFoundError, PermanentError, PreconditionError, TransientError } from '../../model/errors.js';

interface GcsErrorShape {
  code?: unknown;
  status?: unknown;
  message?: string;
  response?: { status?: unknown };
}

/** Integrity failures the SDK reports after an upload or download; retrying may succeed. */
const TRANSIENT_CODES = new Set(['FILE_NO_UPLOAD', 'FILE_NO_UPLOAD_DELETE', 'CONTENT_DOWNLOAD_MISMATCH']);

/** The HTTP status of a GCS SDK error (ApiError `code`, gaxios `status` / `response.status`). */
export function gcsStatus(error: unknown): number | undefined {
  const e = (error ?? {}) as GcsErrorShape;
  for (const candidate of [e.code, e.status, e.response?.status]) {
    if (typeof candidate === 'number') return candidate;
    if (typeof candidate === 'string' && /^\d{3}$/.test(candidate)) return Number(candidate);
  }
  return undefined;
}

export const isGcsNotFound = (error: unknown): boolean => gcsStatus(error) === 404;
export const isGcsPreconditionFailed = (error: unknown): boolean => gcsStatus(error) === 412;

/**
 * Wraps a GCS SDK failure: 404 → NotFoundError, 412 → PreconditionError,
 * 408 / 429 / 5xx / network / integrity → TransientError `E_BACKEND`, other
 * 4xx → PermanentError `E_BACKEND_PERMANENT`. The SDK error stays as `cause`.
 */
export function mapGcsError(
  error: unknown,
  context: { store: string; operation: string; location: string; expectedGeneration?: string },
): Error {
  if (error instanceof TransientError || error instanceof PermanentError) return error;
  const status = gcsStatus(error);
  if (status === 404) return new NotFoundError(context.location, { cause: error });
  if (status === 412) {
    return new PreconditionError(context.location, context.expectedGeneration ?? 'unknown', undefined, {
      cause: error,
    });
  }
  const code = (error as GcsErrorShape | undefined)?.code;
  const message = `[switchyard] [gcs] ${context.operation} ${context.location} on ${context.store} failed${
    status ? ` (HTTP ${status})` : ''
  }: ${(error as GcsErrorShape | undefined)?.message ?? String(error)}`;
  const details = {
    store: context.store,
    operation: context.operation,
    location: context.location,
    status,
    code,
  };
  if (
    status === undefined ||
    status >= 500 ||
    status === 429 ||
    status === 408 ||
    (typeof code === 'string' && TRANSIENT_CODES.has(code))
  ) {
    return new TransientError('E_BACKEND', message, details, { cause: error });
  }
  return new PermanentError('E_BACKEND_PERMANENT', message, details, { cause: error });
}
