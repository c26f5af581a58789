import { EventInvalidError } from '../model/errors.js';
import type { ObjectEvent } from '../model/event.js';
import { gcsBucketNameRule } from './gcs-bucket-name.js';

/**
 * A Cloud Storage Pub/Sub notification (payload format `JSON_API_V1` or
 * `NONE`), as it arrives through a Pub/Sub pull or a push envelope.
 * Only `OBJECT_FINALIZE` is routed; every other event type is `ignored` with
 * its reason, so the caller acknowledges it without routing.
 */
export type GcsNotification =
  { kind: 'finalize'; event: ObjectEvent } | { kind: 'ignored'; reason: string; event: ObjectEvent };

export type PubsubAttributes = Readonly<Record<string, string>> | null | undefined;

/** True when the attributes are those GCS sets on its notifications. */
export function isGcsNotification(attributes: PubsubAttributes): boolean {
  return typeof attributes?.eventType === 'string' && typeof attributes.bucketId === 'string';
}

/**
 * Turns a GCS notification into an ObjectEvent. `data` is the message data:
 * base64 text (push envelope) or raw bytes (pull). Throws EventInvalidError,
 * with the offending attributes, when it is not a GCS notification.
 */
export function parseGcsNotification(
  attributes: PubsubAttributes,
  data: string | Uint8Array | null | undefined,
  messageId?: string,
): GcsNotification {
  const attrs = attributes ?? {};
  const eventType = attrs.eventType;
  if (!eventType)
    throw new EventInvalidError('GCS notification has no `eventType` attribute', { attributes: attrs });
  const resource = objectResource(attrs, data);
  const bucket = str(resource.bucket) ?? attrs.bucketId;
  const key = str(resource.name) ?? attrs.objectId;
  if (!bucket || !key) {
    throw new EventInvalidError('GCS notification names no bucket and object (bucketId, objectId)', {
      attributes: attrs,
    });
  }
  const rule = gcsBucketNameRule(bucket);
  if (rule) {
    const field = str(resource.bucket) !== undefined ? 'data `bucket`' : 'attribute `bucketId`';
    throw new EventInvalidError(
      `GCS notification ${field} ${JSON.stringify(bucket)} is not a Cloud Storage bucket name: ${rule}`,
      { field, bucket, rule, attributes: attrs },
    );
  }
  const event: ObjectEvent = { origin: 'gcs', bucket, key };
  assign(event, 'generation', str(resource.generation) ?? attrs.objectGeneration);
  assign(event, 'size', size(resource.size, attrs));
  assign(event, 'crc32c', str(resource.crc32c));
  assign(event, 'md5', str(resource.md5Hash));
  assign(event, 'eventTime', str(resource.updated) ?? str(resource.timeCreated) ?? attrs.eventTime);
  assign(event, 'eventId', messageId);
  if (eventType === 'OBJECT_FINALIZE') return { kind: 'finalize', event };
  return { kind: 'ignored', reason: `GCS event type ${eventType} is not routed`, event };
}

function objectResource(
  attrs: Readonly<Record<string, string>>,
  data: string | Uint8Array | null | undefined,
): Record<string, unknown> {
  if (attrs.payloadFormat === 'NONE' || data === undefined || data === null || data.length === 0) return {};
  const text =
    typeof data === 'string'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(data).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EventInvalidError(`GCS notification data is not JSON: ${(error as Error).message}`, {
      attributes: attrs,
      data: text.slice(0, 200),
    });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new EventInvalidError('GCS notification data is not an object resource', { attributes: attrs });
  }
  return value as Record<string, unknown>;
}

function size(value: unknown, attrs: Readonly<Record<string, string>>): number | undefined {
  if (value === undefined) return undefined;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new EventInvalidError(`GCS notification size ${JSON.stringify(value)} is not a byte count`, {
      attributes: attrs,
    });
  }
  return n;
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function assign<K extends keyof ObjectEvent>(
  event: ObjectEvent,
  field: K,
  value: ObjectEvent[K] | undefined,
): void {
  if (value !== undefined) event[field] = value;
}
