import { EventInvalidError } from '../model/errors.js';

/** Parses a notification's JSON text; anything else is E_EVENT_INVALID naming `what` and quoting the start of the text. */
export function parseEventJson(text: unknown, what: string): unknown {
  if (typeof text !== 'string') throw new EventInvalidError(`${what} is not a string`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new EventInvalidError(`${what} is not JSON: ${(error as Error).message}`, {
      body: text.slice(0, 200),
    });
  }
}

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
