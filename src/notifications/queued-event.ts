import { EventInvalidError } from '../model/errors.js';
import type { ObjectEvent } from '../model/event.js';

const ORIGINS: ReadonlySet<string> = new Set(['gcs', 's3', 'fs', 'manual', 'scan']);
const STRING_FIELDS = ['project', 'generation', 'crc32c', 'md5', 'eventTime', 'eventId'] as const;

/**
 * The body switchyard writes to a queue for one ObjectEvent (`switchyard
 * enqueue`, batch mode): the event as JSON. `decodeNotification` reads it
 * back from a queue message (`queued: true`), never from a request.
 */
export function encodeEvent(event: ObjectEvent): string {
  return JSON.stringify(event);
}

/** Checks that a parsed value is an ObjectEvent; throws EventInvalidError naming the first bad field. */
export function checkEvent(value: unknown, body = ''): ObjectEvent {
  const bad = (field: string, expected: string): never => {
    throw new EventInvalidError(`queue message field \`${field}\`: expected ${expected}`, {
      field,
      body: clip(body),
    });
  };
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return bad('(root)', 'an ObjectEvent object');
  const record = value as Record<string, unknown>;
  if (typeof record.bucket !== 'string' || record.bucket === '') bad('bucket', 'a non-empty string');
  if (typeof record.key !== 'string' || record.key === '') bad('key', 'a non-empty string');
  if (typeof record.origin !== 'string' || !ORIGINS.has(record.origin)) bad('origin', [...ORIGINS].join('|'));
  for (const field of STRING_FIELDS) {
    if (record[field] !== undefined && typeof record[field] !== 'string') bad(field, 'a string');
  }
  if (
    record.size !== undefined &&
    (typeof record.size !== 'number' || !Number.isFinite(record.size) || record.size < 0)
  ) {
    bad('size', 'a non-negative number');
  }
  return record as unknown as ObjectEvent;
}

function clip(body: string): string {
  return body.length > 500 ? `${body.slice(0, 500)}…` : body;
}
