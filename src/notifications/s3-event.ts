import { EventInvalidError } from '../model/errors.js';
import type { ObjectEvent } from '../model/event.js';
import type { NotificationParse } from './types.js';
import { isRecord, parseEventJson } from './json.js';

/** True when a parsed JSON value looks like an S3 notification (a `Records` array, an `s3:TestEvent`). */
export function isS3Event(value: unknown): boolean {
  if (!isRecord(value)) return false;
  return Array.isArray(value.Records) || value.Event === 's3:TestEvent';
}

/**
 * Parses an S3 event notification (what S3 sends to SQS, Lambda, or SNS,
 * whose envelope `decodeNotification` opens): one ObjectEvent per
 * `ObjectCreated:*` record, routed, and the reason for everything else
 * (ObjectRemoved, the `s3:TestEvent` S3 sends when a notification is
 * configured), which the caller acknowledges without routing. `json` is the
 * parsed body or its text. Keys are URL-decoded as S3 encodes them (`+` is a
 * space). Throws EventInvalidError with the offending record when the payload
 * is not one.
 *
 * The generation is the version id of a versioned bucket. An unversioned
 * bucket's generation is ETag + LastModified (s3-generation.ts) and a record
 * has no LastModified (`eventTime` is when S3 finished the request, not the
 * object's time), so such an event names none: the router's look at the
 * object fills it in, and no event names an object otherwise than a scan.
 */
export function parseS3Event(json: unknown): NotificationParse {
  const value = typeof json === 'string' ? parseEventJson(json, 'S3 event') : json;
  if (!isRecord(value)) throw new EventInvalidError('S3 event is not a JSON object', { body: value });
  if (value.Event === 's3:TestEvent') {
    return { events: [], ignored: [{ reason: `S3 test event for bucket ${String(value.Bucket ?? '?')}` }] };
  }
  if (!Array.isArray(value.Records))
    throw new EventInvalidError('S3 event has no `Records` array', { body: value });
  const result: NotificationParse = { events: [], ignored: [] };
  value.Records.forEach((record: unknown, index: number) => {
    const { event, eventName } = recordEvent(record, index);
    if (eventName.startsWith('ObjectCreated:')) result.events.push(event);
    else result.ignored.push({ reason: `S3 event ${eventName} is not routed`, event });
  });
  return result;
}

function recordEvent(record: unknown, index: number): { event: ObjectEvent; eventName: string } {
  const bad = (what: string): never => {
    throw new EventInvalidError(`S3 event record ${index}: ${what}`, { record });
  };
  if (!isRecord(record)) return bad('not an object');
  const rawName = typeof record.eventName === 'string' ? record.eventName : bad('no `eventName`');
  const eventName = rawName.replace(/^s3:/, '');
  const s3 = isRecord(record.s3) ? record.s3 : bad('no `s3` object');
  const bucket =
    isRecord(s3.bucket) && typeof s3.bucket.name === 'string' ? s3.bucket.name : bad('no `s3.bucket.name`');
  const object = isRecord(s3.object) ? s3.object : bad('no `s3.object`');
  const rawKey = typeof object.key === 'string' && object.key !== '' ? object.key : bad('no `s3.object.key`');
  const event: ObjectEvent = { origin: 's3', bucket, key: decodeKey(rawKey, bad) };
  const versionId = str(object.versionId);
  if (versionId && versionId !== 'null') event.generation = versionId;
  if (object.size !== undefined) {
    if (typeof object.size !== 'number' || !Number.isSafeInteger(object.size) || object.size < 0)
      bad('`size` is not a byte count');
    event.size = object.size as number;
  }
  const eventTime = str(record.eventTime);
  if (eventTime) event.eventTime = eventTime;
  const sequencer = str(object.sequencer);
  if (sequencer) event.eventId = sequencer;
  return { event, eventName };
}

/** S3 URL-encodes keys in notifications, with `+` for a space. */
function decodeKey(key: string, bad: (what: string) => never): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return bad(`key ${JSON.stringify(key)} is not URL-encoded`);
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
