import { EventInvalidError } from '../model/errors.js';
import type { CloudEventLike } from './cloudevent.js';
import { isRecord } from './json.js';

/**
 * A 1st-gen Cloud Functions background event, as it is posted:
 * `{ context: { eventId, timestamp, eventType, resource }, data }`, or the
 * older flat form with the context fields beside `data`.
 */
export interface BackgroundEvent {
  eventId?: string;
  timestamp?: string;
  eventType: string;
  /** `projects/_/buckets/B/objects/K` (sent as a string, or as `{ name }` with the service); may be empty. */
  resource: string;
  data: unknown;
}

/** Cloud Storage background event types, by the CloudEvent type each is read as. */
const STORAGE_TYPES: Readonly<Record<string, string>> = {
  'google.storage.object.finalize': 'google.cloud.storage.object.v1.finalized',
  'google.storage.object.delete': 'google.cloud.storage.object.v1.deleted',
  'google.storage.object.archive': 'google.cloud.storage.object.v1.archived',
  'google.storage.object.metadataUpdate': 'google.cloud.storage.object.v1.metadataUpdated',
};
/** The legacy `object.change`: a deletion when `data.resourceState` is `not_exists`, else a write. */
const LEGACY_STORAGE_CHANGE = 'providers/cloud.storage/eventTypes/object.change';
const PUBSUB_TYPES: ReadonlySet<string> = new Set([
  'google.pubsub.topic.publish',
  'providers/cloud.pubsub/eventTypes/topic.publish',
]);
const STORAGE_RESOURCE = /^projects\/([^/]+)\/buckets\/([^/]+)\/objects\/(.+)$/;

/** True when a parsed body has a background event's shape (an `eventType` and a `resource` beside or above `data`). */
export function isBackgroundEvent(value: unknown): boolean {
  if (!isRecord(value) || !('data' in value)) return false;
  const context = isRecord(value.context) ? value.context : value;
  return typeof context.eventType === 'string' && 'resource' in context;
}

/** Checks a background event; throws EventInvalidError naming the bad field. */
export function parseBackgroundEvent(value: unknown): BackgroundEvent {
  if (!isRecord(value)) throw new EventInvalidError('background event is not a JSON object', {});
  const context = isRecord(value.context) ? value.context : value;
  const eventType = context.eventType;
  if (typeof eventType !== 'string' || eventType === '')
    throw new EventInvalidError('background event has no `eventType` string', {});
  const named = isRecord(context.resource) ? context.resource.name : context.resource;
  if (named !== undefined && named !== null && typeof named !== 'string')
    throw new EventInvalidError('background event `resource` is not a string nor `{ name }`', { eventType });
  const event: BackgroundEvent = { eventType, resource: named ?? '', data: value.data };
  if (typeof context.eventId === 'string' && context.eventId !== '') event.eventId = context.eventId;
  if (typeof context.timestamp === 'string' && context.timestamp !== '') event.timestamp = context.timestamp;
  return event;
}

export function isStorageBackgroundEvent(event: BackgroundEvent): boolean {
  return event.eventType in STORAGE_TYPES || event.eventType === LEGACY_STORAGE_CHANGE;
}

export function isPubsubBackgroundEvent(event: BackgroundEvent): boolean {
  return PUBSUB_TYPES.has(event.eventType);
}

/**
 * A Cloud Storage background event as the CloudEvent Google maps it to (the
 * mapping the Functions Framework applies): the type by name, the bucket and
 * key from `resource` into source and subject, `eventId` as the id.
 */
export function storageBackgroundCloudEvent(event: BackgroundEvent): CloudEventLike {
  if (!event.eventId)
    throw new EventInvalidError(`Cloud Storage background event has no \`eventId\``, {
      eventType: event.eventType,
    });
  const match = STORAGE_RESOURCE.exec(event.resource);
  const ce: CloudEventLike = {
    specversion: '1.0',
    id: event.eventId,
    type: storageType(event),
    source: match ? `//storage.googleapis.com/projects/${match[1]}/buckets/${match[2]}` : event.resource,
    data: event.data,
  };
  if (match) ce.subject = `objects/${match[3]}`;
  if (event.timestamp) ce.time = event.timestamp;
  return ce;
}

/** The Pub/Sub message a Pub/Sub background event carries, in the push envelope's shape. */
export function pubsubBackgroundPush(event: BackgroundEvent): { message: Record<string, unknown> } {
  if (!isRecord(event.data))
    throw new EventInvalidError('Pub/Sub background event `data` is not a message object', {
      eventType: event.eventType,
    });
  return {
    message: {
      ...event.data,
      ...(event.data.messageId === undefined && event.eventId ? { messageId: event.eventId } : {}),
      ...(event.data.publishTime === undefined && event.timestamp ? { publishTime: event.timestamp } : {}),
    },
  };
}

function storageType(event: BackgroundEvent): string {
  const mapped = STORAGE_TYPES[event.eventType];
  if (mapped) return mapped;
  const deleted = isRecord(event.data) && event.data.resourceState === 'not_exists';
  return deleted
    ? STORAGE_TYPES['google.storage.object.delete']!
    : STORAGE_TYPES['google.storage.object.finalize']!;
}
