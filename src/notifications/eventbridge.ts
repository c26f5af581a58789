import { EventInvalidError } from '../model/errors.js';
import type { ObjectEvent } from '../model/event.js';
import type { NotificationParse } from './types.js';
import { isRecord } from './json.js';

/** True when a parsed body has an EventBridge event's shape (`detail-type`, `source`, `detail`). */
export function isEventBridgeEvent(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value['detail-type'] === 'string' &&
    typeof value.source === 'string' &&
    'detail' in value
  );
}

/**
 * An Amazon S3 event delivered through EventBridge. `Object Created` from
 * `aws.s3` becomes an ObjectEvent (generation: `version-id`; none in an
 * unversioned bucket, whose generation needs the LastModified the event
 * lacks: see parseS3Event); every other detail type or source is ignored
 * with its reason. Keys are URL-decoded as in S3 notifications (`+` is a
 * space).
 */
export function parseEventBridgeEvent(value: unknown): NotificationParse {
  if (!isRecord(value)) throw new EventInvalidError('EventBridge event is not a JSON object', {});
  const detailType = value['detail-type'];
  const source = value.source;
  const id = typeof value.id === 'string' ? value.id : undefined;
  if (typeof detailType !== 'string' || typeof source !== 'string') {
    throw new EventInvalidError('EventBridge event has no `detail-type` and `source` strings', { id });
  }
  if (source !== 'aws.s3')
    return { events: [], ignored: [{ reason: `EventBridge event from ${source} is not routed` }] };
  const bad = (what: string): never => {
    throw new EventInvalidError(`EventBridge S3 event ${id ?? '(no id)'}: ${what}`, { id, detailType });
  };
  const detail = isRecord(value.detail) ? value.detail : bad('no `detail` object');
  const bucket =
    isRecord(detail.bucket) && typeof detail.bucket.name === 'string' && detail.bucket.name !== ''
      ? detail.bucket.name
      : bad('no `detail.bucket.name` string');
  const object = isRecord(detail.object) ? detail.object : bad('no `detail.object` object');
  const rawKey =
    typeof object.key === 'string' && object.key !== '' ? object.key : bad('no `detail.object.key` string');
  const event: ObjectEvent = { origin: 's3', bucket, key: decodeKey(rawKey, bad) };
  const versionId = optionalString(object['version-id'], 'version-id', bad);
  if (versionId && versionId !== 'null') event.generation = versionId;
  if (object.size !== undefined) {
    if (typeof object.size !== 'number' || !Number.isSafeInteger(object.size) || object.size < 0)
      bad('`detail.object.size` is not a byte count');
    event.size = object.size as number;
  }
  if (typeof value.time === 'string') event.eventTime = value.time;
  const eventId = optionalString(object.sequencer, 'sequencer', bad) ?? id;
  if (eventId) event.eventId = eventId;
  if (detailType === 'Object Created') return { events: [event], ignored: [] };
  return { events: [], ignored: [{ reason: `EventBridge S3 event ${detailType} is not routed`, event }] };
}

function decodeKey(key: string, bad: (what: string) => never): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return bad(`key ${JSON.stringify(key)} is not URL-encoded`);
  }
}

function optionalString(value: unknown, field: string, bad: (what: string) => never): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return bad(`\`detail.object.${field}\` is not a string`);
  return value === '' ? undefined : value;
}
