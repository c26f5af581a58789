import { isUtf8 } from 'node:buffer';
import { EventInvalidError, SwitchyardError } from '../model/errors.js';
import {
  isBackgroundEvent,
  isPubsubBackgroundEvent,
  isStorageBackgroundEvent,
  parseBackgroundEvent,
  pubsubBackgroundPush,
  storageBackgroundCloudEvent,
} from './background-event.js';
import {
  cloudEventFromBinary,
  cloudEventFromStructured,
  isBinaryCloudEvent,
  isStorageCloudEvent,
  parseStorageCloudEvent,
  PUBSUB_PUBLISHED,
  type CloudEventLike,
  type HeaderReader,
} from './cloudevent.js';
import { isEventBridgeEvent, parseEventBridgeEvent } from './eventbridge.js';
import { isGcsNotification, parseGcsNotification } from './gcs-notification.js';
import { isRecord, parseEventJson } from './json.js';
import {
  isPubsubPush,
  isUnwrappedPush,
  parsePubsubPush,
  unwrappedPushMessage,
  type PubsubPushMessage,
} from './pubsub-push.js';
import { checkEvent } from './queued-event.js';
import { isS3Event, parseS3Event } from './s3-event.js';
import { isSnsEnvelope, parseSnsEnvelope } from './sns.js';
import type { DecodedNotification } from './types.js';

export type { DecodedNotification } from './types.js';

/** Transport headers: a case-insensitive reader, or a plain map (looked up case-insensitively). */
export type HeaderSource = HeaderReader | Readonly<Record<string, string | undefined>>;

interface ArrivalContext {
  /** Transport headers: `content-type`, `ce-*` (binary CloudEvent), `x-goog-pubsub-*` and attributes (unwrapped Pub/Sub push). */
  headers?: HeaderSource;
  /** A Pub/Sub message pulled from a subscription: its attributes (the body is its data). */
  attributes?: Readonly<Record<string, string>>;
  /** The transport's id of the message when the body does not carry it (a pulled Pub/Sub message's id). */
  messageId?: string;
  /**
   * A queue message body: switchyard's own queued event (`encodeEvent`) is
   * read as well as notifications. Never set for a request: a sender cannot
   * hand switchyard an event naming its project.
   */
  queued?: boolean;
}

/**
 * What arrived, as the transport delivered it: body bytes or text (an HTTP
 * body, a queue message, Pub/Sub data), or a value already parsed from JSON
 * (a Lambda event, a Functions Framework CloudEvent).
 */
export type NotificationInput = ArrivalContext &
  ({ body: string | Uint8Array; value?: never } | { value: unknown; body?: never });

/** Envelopes inside envelopes (SNS in Pub/Sub in a CloudEvent…) are read this deep, no deeper. */
const MAX_DEPTH = 4;

const FORMATS =
  'a CloudEvent, a Pub/Sub message or push, a 1st-gen background event, an S3 event, an SNS message or an EventBridge event';

/**
 * The one reader of notifications, whatever the entry point (HTTP receiver,
 * Cloud Function, Lambda, every queue): GCS notifications (JSON_API_V1 or
 * NONE) through Pub/Sub (wrapped push, unwrapped push with `x-goog-pubsub-*`
 * headers, pull), CloudEvents (binary, structured, batch; Cloud Storage or
 * Pub/Sub `messagePublished`), 1st-gen background events
 * (`google.storage.object.finalize`, Pub/Sub `topic.publish`), S3 events
 * direct, through SNS or EventBridge, and any of them as a queue body.
 *
 * Returns the events to route and the notifications understood but not
 * routed (deletions, test events, control messages) with their reasons.
 * Throws EventInvalidError, naming the field and the rule, for anything that
 * is not a notification.
 */
export function decodeNotification(input: NotificationInput): DecodedNotification {
  const queued = input.queued === true;
  if (input.body === undefined) return parseValue(input.value, 0, queued);
  const header = headerReader(input.headers);
  if (input.attributes) {
    return fromPubsub(
      {
        attributes: { ...input.attributes },
        data: Buffer.from(input.body),
        ...(input.messageId ? { messageId: input.messageId } : {}),
      },
      0,
      queued,
      'pubsub',
    );
  }
  if (isUnwrappedPush(header))
    return fromPubsub(unwrappedPushMessage(header, Buffer.from(input.body)), 0, queued, 'pubsub-unwrapped');
  const what = queued ? 'queue message' : 'request body';
  const text = utf8Text(input.body, what);
  if (isBinaryCloudEvent(header))
    return fromCloudEvent(cloudEventFromBinary(header, text), 0, queued, 'cloudevent-binary');
  if (text.trim() === '') throw new EventInvalidError(`empty ${what}: expected a JSON notification`, {});
  const contentType = (header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const value = parseEventJson(text, what);
  if (contentType === 'application/cloudevents+json')
    return fromCloudEvent(cloudEventFromStructured(value), 0, queued, 'cloudevent-structured');
  if (contentType === 'application/cloudevents-batch+json') {
    if (!Array.isArray(value)) throw new EventInvalidError('CloudEvents batch is not a JSON array', {});
    return merge(
      value.map((item) => fromCloudEvent(cloudEventFromStructured(item), 0, queued, 'cloudevent-batch')),
    );
  }
  return parseValue(value, 0, queued);
}

function parseValue(value: unknown, depth: number, queued: boolean): DecodedNotification {
  if (depth > MAX_DEPTH)
    throw new EventInvalidError(`notification nested deeper than ${MAX_DEPTH} envelopes`, {});
  if (isRecord(value) && 'specversion' in value)
    return fromCloudEvent(cloudEventFromStructured(value), depth, queued, 'cloudevent-structured');
  if (isPubsubPush(value)) return fromPubsub(parsePubsubPush(value), depth, queued, 'pubsub');
  if (isBackgroundEvent(value)) return fromBackground(value, depth, queued);
  if (isSnsEnvelope(value)) return fromSns(value, depth, queued);
  if (isS3Event(value)) return { formats: ['s3'], ...parseS3Event(value) };
  if (isEventBridgeEvent(value)) return { formats: ['eventbridge'], ...parseEventBridgeEvent(value) };
  const keys = isRecord(value) ? Object.keys(value).slice(0, 10) : typeof value;
  if (queued) return fromQueuedEvent(value, keys);
  if (isRecord(value) && value.kind === 'storage#object') {
    throw new EventInvalidError(
      'a Cloud Storage object resource without its notification attributes (eventType, bucketId): ' +
        'an unwrapped Pub/Sub push must write its metadata (--push-no-wrapper-write-metadata)',
      { keys },
    );
  }
  throw new EventInvalidError(`unrecognized notification: expected ${FORMATS}`, { keys });
}

function fromQueuedEvent(value: unknown, keys: unknown): DecodedNotification {
  try {
    return { formats: ['switchyard'], events: [checkEvent(value)], ignored: [] };
  } catch (error) {
    if (!(error instanceof SwitchyardError)) throw error;
    throw new EventInvalidError(
      `unrecognized queue message: not a notification (${FORMATS}), nor a switchyard event: ${error.message.replace(/^\[switchyard\] \[events\] /, '')}`,
      { keys, ...error.details },
    );
  }
}

function fromCloudEvent(
  ce: CloudEventLike,
  depth: number,
  queued: boolean,
  format: string,
): DecodedNotification {
  if (isStorageCloudEvent(ce)) return { formats: [format], ...parseStorageCloudEvent(ce) };
  if (ce.type === PUBSUB_PUBLISHED)
    return wrap(format, fromPubsub(parsePubsubPush(ce.data), depth + 1, queued, 'pubsub'));
  return { formats: [format], events: [], ignored: [{ reason: `CloudEvent type ${ce.type} is not routed` }] };
}

function fromPubsub(
  message: PubsubPushMessage,
  depth: number,
  queued: boolean,
  format: string,
): DecodedNotification {
  const { attributes, data, messageId } = message;
  if (isGcsNotification(attributes)) {
    const parsed = parseGcsNotification(attributes, data, messageId);
    const formats = [format, 'gcs-notification'];
    return parsed.kind === 'finalize'
      ? { formats, events: [parsed.event], ignored: [] }
      : { formats, events: [], ignored: [{ reason: parsed.reason, event: parsed.event }] };
  }
  if (attributes['ce-specversion'] !== undefined) {
    const header = (name: string): string | undefined => attributes[name];
    const text = utf8Text(data, 'Pub/Sub message data');
    return wrap(
      format,
      fromCloudEvent(cloudEventFromBinary(header, text), depth + 1, queued, 'cloudevent-binary'),
    );
  }
  if (data.length === 0) {
    throw new EventInvalidError(
      'Pub/Sub message has no data and is not a GCS notification (eventType, bucketId attributes)',
      { messageId, attributes },
    );
  }
  const text = utf8Text(data, 'Pub/Sub message data');
  return wrap(format, parseValue(parseEventJson(text, 'Pub/Sub message data'), depth + 1, queued));
}

function fromBackground(value: unknown, depth: number, queued: boolean): DecodedNotification {
  const event = parseBackgroundEvent(value);
  if (isStorageBackgroundEvent(event)) {
    const parsed = parseStorageCloudEvent(
      storageBackgroundCloudEvent(event),
      'Cloud Storage background event',
    );
    return { formats: ['gcs-background'], ...parsed };
  }
  if (isPubsubBackgroundEvent(event))
    return wrap(
      'pubsub-background',
      fromPubsub(parsePubsubPush(pubsubBackgroundPush(event)), depth + 1, queued, 'pubsub'),
    );
  return {
    formats: ['background'],
    events: [],
    ignored: [{ reason: `background event type ${event.eventType} is not routed` }],
  };
}

function fromSns(value: unknown, depth: number, queued: boolean): DecodedNotification {
  const envelope = parseSnsEnvelope(value);
  if (envelope.type === 'SubscriptionConfirmation') {
    return {
      formats: ['sns'],
      events: [],
      ignored: [
        {
          reason: `SNS subscription confirmation for ${envelope.topicArn}: confirm it by visiting SubscribeURL`,
        },
      ],
      subscribeUrl: envelope.subscribeUrl,
    };
  }
  if (envelope.type === 'UnsubscribeConfirmation') {
    return {
      formats: ['sns'],
      events: [],
      ignored: [{ reason: `SNS unsubscribe confirmation for ${envelope.topicArn}` }],
    };
  }
  return wrap('sns', parseValue(parseEventJson(envelope.message, 'SNS Message'), depth + 1, queued));
}

function headerReader(headers: HeaderSource | undefined): HeaderReader {
  if (headers === undefined) return () => undefined;
  if (typeof headers === 'function') return headers;
  const lower = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return (name) => lower.get(name.toLowerCase());
}

function utf8Text(body: string | Uint8Array, what: string): string {
  if (typeof body === 'string') return body;
  if (!isUtf8(body)) throw new EventInvalidError(`${what} is not UTF-8 text`, { bytes: body.length });
  return Buffer.from(body).toString('utf8');
}

function wrap(format: string, inner: DecodedNotification): DecodedNotification {
  return { ...inner, formats: [format, ...inner.formats] };
}

function merge(parts: DecodedNotification[]): DecodedNotification {
  return {
    formats: [...new Set(parts.flatMap((p) => p.formats))],
    events: parts.flatMap((p) => p.events),
    ignored: parts.flatMap((p) => p.ignored),
  };
}
