import { EventInvalidError } from '../model/errors.js';
import { gcsBucketNameRule } from './gcs-bucket-name.js';
import { decodeBase64Strict } from './pubsub-push.js';
import type { ObjectEvent } from '../model/event.js';
import type { NotificationParse } from './types.js';
import { isRecord, parseEventJson } from './json.js';

export const GCS_FINALIZED = 'google.cloud.storage.object.v1.finalized';
export const GCS_TYPE_PREFIX = 'google.cloud.storage.object.v1.';
export const PUBSUB_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';

/** The CloudEvent attributes switchyard reads, whatever the transport (HTTP binary, structured, Pub/Sub, functions-framework). */
export interface CloudEventLike {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  /** Parsed JSON data (undefined when the event has none). */
  data?: unknown;
}

export type HeaderReader = (name: string) => string | undefined;

const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;
/** `//storage.googleapis.com/projects/_/buckets/BUCKET`, in older events followed by `/objects/KEY`. */
const GCS_SOURCE = /^\/\/storage\.googleapis\.com\/projects\/[^/]+\/buckets\/([^/]+)(?:\/objects\/.+)?$/;

/** True when the request carries a binary-mode CloudEvent (`ce-specversion` header). */
export function isBinaryCloudEvent(header: HeaderReader): boolean {
  return header('ce-specversion') !== undefined;
}

/**
 * A binary-mode CloudEvent: attributes in `ce-*` headers (percent-decoded as
 * the HTTP binding says; a subject sent unencoded that names the object is
 * kept as sent), data in the body, which must be JSON.
 */
export function cloudEventFromBinary(header: HeaderReader, body: string): CloudEventLike {
  const attr = (name: string): string | undefined => {
    const raw = header(`ce-${name}`);
    if (raw === undefined || !raw.includes('%')) return raw;
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  };
  const ce: Record<string, unknown> = {};
  for (const name of [...REQUIRED, 'subject', 'time']) {
    const value = attr(name);
    if (value !== undefined) ce[name] = value;
  }
  const contentType = header('content-type');
  if (contentType) ce.datacontenttype = contentType;
  if (body.trim() !== '') {
    if (contentType && !isJsonContentType(contentType)) {
      throw new EventInvalidError(
        `CloudEvent data of content type ${JSON.stringify(contentType)} is not supported (JSON only)`,
        {
          contentType,
        },
      );
    }
    ce.data = parseEventJson(body, 'CloudEvent data');
  }
  const rawSubject = header('ce-subject');
  if (isRecord(ce.data) && typeof ce.data.name === 'string' && rawSubject === `objects/${ce.data.name}`)
    ce.subject = rawSubject;
  return checkAttributes(ce);
}

/** A structured-mode CloudEvent (`application/cloudevents+json`), already parsed. `data_base64` is decoded as JSON. */
export function cloudEventFromStructured(value: unknown): CloudEventLike {
  if (!isRecord(value)) throw new EventInvalidError('structured CloudEvent is not a JSON object', {});
  const ce: Record<string, unknown> = { ...value };
  if (typeof value.data_base64 === 'string') {
    if (value.data !== undefined)
      throw new EventInvalidError('CloudEvent has both `data` and `data_base64`', { id: value.id });
    const text = decodeBase64Strict(value.data_base64, 'CloudEvent data_base64').toString('utf8');
    ce.data = parseEventJson(text, 'CloudEvent data_base64');
    delete ce.data_base64;
  }
  return checkAttributes(ce);
}

/** True for the Cloud Storage object event types (`google.cloud.storage.object.v1.*`). */
export function isStorageCloudEvent(ce: CloudEventLike): boolean {
  return ce.type.startsWith(GCS_TYPE_PREFIX);
}

/** Fails a Cloud Storage event: the problem, named with the event's id, type and source. */
type Bad = (problem: string, details?: Record<string, unknown>) => never;

/**
 * A Cloud Storage CloudEvent: `finalized` becomes an ObjectEvent; `deleted`,
 * `archived` and `metadataUpdated` are ignored with their reason. The bucket
 * comes from the object resource (`data.bucket`) or the source
 * `//storage.googleapis.com/projects/_/buckets/BUCKET`; the key from
 * `data.name` or the subject `objects/KEY`. When both are given they must agree,
 * and the bucket must be one GCS could have named. `what` names the event in
 * errors (a 1st-gen background event is read as the CloudEvent it maps to).
 */
export function parseStorageCloudEvent(
  ce: CloudEventLike,
  what = 'Cloud Storage CloudEvent',
): NotificationParse {
  const data = ce.data === undefined ? {} : ce.data;
  if (!isRecord(data)) throw new EventInvalidError(`${what} data is not an object resource`, { id: ce.id });
  const bad: Bad = (problem, details = {}) => {
    throw new EventInvalidError(`${what} ${ce.id}: ${problem}`, {
      id: ce.id,
      type: ce.type,
      source: ce.source,
      ...details,
    });
  };
  const bucket = storageBucket(ce, data, bad);
  const key = storageKey(ce, data, bad);
  const event: ObjectEvent = { origin: 'gcs', bucket, key, eventId: ce.id };
  const generation = integerText(data.generation, 'data.generation', bad);
  if (generation !== undefined) event.generation = generation;
  const size = integerText(data.size, 'data.size', bad);
  if (size !== undefined) {
    const n = Number(size);
    if (!Number.isSafeInteger(n)) bad('data.size is not a byte count');
    event.size = n;
  }
  const crc32c = optionalString(data.crc32c, 'data.crc32c', bad);
  if (crc32c) event.crc32c = crc32c;
  const md5 = optionalString(data.md5Hash, 'data.md5Hash', bad);
  if (md5) event.md5 = md5;
  const time =
    ce.time ??
    optionalString(data.updated, 'data.updated', bad) ??
    optionalString(data.timeCreated, 'data.timeCreated', bad);
  if (time) event.eventTime = time;
  if (ce.type === GCS_FINALIZED) return { events: [event], ignored: [] };
  return { events: [], ignored: [{ reason: `CloudEvent type ${ce.type} is not routed`, event }] };
}

/** The bucket from `data.bucket` or the source; both given must agree, and it must be a name GCS could have given. */
function storageBucket(ce: CloudEventLike, data: Record<string, unknown>, bad: Bad): string {
  const sourceBucket = GCS_SOURCE.exec(ce.source)?.[1];
  const dataBucket = optionalString(data.bucket, 'data.bucket', bad);
  if (dataBucket !== undefined && sourceBucket !== undefined && dataBucket !== sourceBucket) {
    bad(
      `data.bucket ${JSON.stringify(dataBucket)} differs from the source's bucket ${JSON.stringify(sourceBucket)}`,
    );
  }
  const bucket =
    dataBucket ??
    sourceBucket ??
    bad('no bucket (data.bucket, or source //storage.googleapis.com/projects/_/buckets/BUCKET)');
  const rule = gcsBucketNameRule(bucket);
  if (rule) {
    const field = dataBucket !== undefined ? 'data.bucket' : 'source';
    bad(`${field} names ${JSON.stringify(bucket)}, not a Cloud Storage bucket name: ${rule}`, {
      field,
      bucket,
      rule,
    });
  }
  return bucket;
}

/** The key from `data.name` or the subject `objects/KEY`; both given must agree (the subject maybe percent-encoded). */
function storageKey(ce: CloudEventLike, data: Record<string, unknown>, bad: Bad): string {
  const subjectKey = ce.subject?.startsWith('objects/') ? ce.subject.slice('objects/'.length) : undefined;
  const dataKey = optionalString(data.name, 'data.name', bad);
  if (
    dataKey !== undefined &&
    subjectKey !== undefined &&
    dataKey !== subjectKey &&
    dataKey !== percentDecoded(subjectKey)
  ) {
    bad(`data.name ${JSON.stringify(dataKey)} differs from the subject ${JSON.stringify(ce.subject)}`);
  }
  return dataKey ?? subjectKey ?? bad('no object name (data.name, or subject objects/KEY)');
}

function checkAttributes(ce: Record<string, unknown>): CloudEventLike {
  for (const name of REQUIRED) {
    if (typeof ce[name] !== 'string' || ce[name] === '') {
      throw new EventInvalidError(`CloudEvent attribute \`${name}\` is missing or not a non-empty string`, {
        attribute: name,
        id: ce.id,
      });
    }
  }
  if (ce.specversion !== '1.0') {
    throw new EventInvalidError(
      `CloudEvent specversion ${JSON.stringify(ce.specversion)} is not supported (1.0)`,
      { id: ce.id },
    );
  }
  for (const name of ['subject', 'time', 'datacontenttype'] as const) {
    if (ce[name] !== undefined && typeof ce[name] !== 'string') {
      throw new EventInvalidError(`CloudEvent attribute \`${name}\` is not a string`, {
        attribute: name,
        id: ce.id,
      });
    }
  }
  return ce as unknown as CloudEventLike;
}

/**
 * A subject as a binary-mode header carries it (percent-encoded), also once a
 * framework copied the header into an event without decoding it.
 */
function percentDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export function isJsonContentType(contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json') || type === 'text/json';
}

function optionalString(value: unknown, field: string, bad: (what: string) => never): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return bad(`${field} is not a string`);
  return value === '' ? undefined : value;
}

/** GCS int64 fields are JSON strings of digits; numbers are accepted too. */
function integerText(value: unknown, field: string, bad: (what: string) => never): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return value;
  return bad(`${field} ${JSON.stringify(value)} is not a non-negative integer`);
}
