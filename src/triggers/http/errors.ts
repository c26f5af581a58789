import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Codes only the HTTP layer answers with, besides the catalogue in src/model/errors.ts. */
export type HttpOnlyCode = 'E_BODY_TOO_LARGE' | 'E_ROUTE_NOT_FOUND' | 'E_METHOD_NOT_ALLOWED' | 'E_INTERNAL';

/** Every error answer: `{"error": {"code", "message", "details"?}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: { code, message, ...(details && Object.keys(details).length > 0 ? { details } : {}) } };
}

export function jsonError(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): Response {
  return c.json(errorBody(code, message, details), status);
}

/** Details safe and useful to a sender: short scalar values and candidate lists, nothing large. */
export function publicDetails(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(details)) {
    if (typeof value === 'string') out[name] = value.length > 300 ? `${value.slice(0, 300)}…` : value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[name] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
      out[name] = value.slice(0, 20);
  }
  return out;
}

/** `Retry-After` in whole seconds, at least 1. */
export function retryAfterSeconds(ms: number | undefined): number {
  return Math.max(1, Math.ceil((ms ?? 1000) / 1000));
}
