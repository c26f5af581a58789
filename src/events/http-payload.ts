import { EventInvalidError } from '../errors.js';
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
import { isPubsubPush, parsePubsubPush, type PubsubPushMessage } from './pubsub-push.js';
import { isS3Event, parseS3Event } from './s3-event.js';
import { isSnsEnvelope, parseSnsEnvelope } from './sns.js';
import type { NotificationParse } from './types.js';
import { isRecord, parseEventJson } from './json.js';

/**
 * What a notification body holds, whatever its format: the events to route,
 * what was understood but is not routed (with reasons), and the formats it
 * was wrapped in, outermost first (e.g. `sns`, `s3`).
 */
export interface PayloadParse extends NotificationParse {
  formats: string[];
  /** An SNS SubscriptionConfirmation's URL: logged for an operator, never fetched. */
  subscribeUrl?: string;
}

export interface HttpPayload {
  /** Reads a request header (case-insensitive). */
  header: HeaderReader;
  body: string;
}

/** Envelopes inside envelopes (SNS in Pub/Sub in a CloudEvent…) are read this deep, no deeper. */
const MAX_DEPTH = 4;

/**
 * Detects the format of an HTTP notification and parses it: a CloudEvent in
 * binary (`ce-*` headers) or structured mode (`application/cloudevents+json`,
 * or a batch), a Pub/Sub push envelope (GCS notification, CloudEvent or S3
 * event inside), an S3 event, an SNS message, an EventBridge event.
 * Throws EventInvalidError, naming what is wrong, for anything else.
 */
export function parseHttpPayload(payload: HttpPayload): PayloadParse {
  if (isBinaryCloudEvent(payload.header))
    return fromCloudEvent(cloudEventFromBinary(payload.header, payload.body), 0, 'cloudevent-binary');
  if (payload.body.trim() === '') throw new EventInvalidError('empty body: expected a JSON notification', {});
  const contentType = (payload.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const value = parseEventJson(payload.body, 'request body');
  if (contentType === 'application/cloudevents+json')
    return fromCloudEvent(cloudEventFromStructured(value), 0, 'cloudevent-structured');
  if (contentType === 'application/cloudevents-batch+json') {
    if (!Array.isArray(value)) throw new EventInvalidError('CloudEvents batch is not a JSON array', {});
    return merge(value.map((item) => fromCloudEvent(cloudEventFromStructured(item), 0, 'cloudevent-batch')));
  }
  return parseNotification(value);
}

/** Parses an already decoded JSON notification (Lambda events, SQS bodies, Pub/Sub data). */
export function parseNotification(value: unknown, depth = 0): PayloadParse {
  if (depth > MAX_DEPTH)
    throw new EventInvalidError(`notification nested deeper than ${MAX_DEPTH} envelopes`, {});
  if (isRecord(value) && 'specversion' in value)
    return fromCloudEvent(cloudEventFromStructured(value), depth, 'cloudevent-structured');
  if (isPubsubPush(value)) return fromPubsub(parsePubsubPush(value), depth);
  if (isSnsEnvelope(value)) return fromSns(value, depth);
  if (isS3Event(value)) return { formats: ['s3'], ...parseS3Event(value) };
  if (isEventBridgeEvent(value)) return { formats: ['eventbridge'], ...parseEventBridgeEvent(value) };
  throw new EventInvalidError(
    'unrecognized notification: expected a CloudEvent, a Pub/Sub push envelope, an S3 event, an SNS message or an EventBridge event',
    { keys: isRecord(value) ? Object.keys(value).slice(0, 10) : typeof value },
  );
}

/** A CloudEvent from any transport (HTTP, Pub/Sub, functions-framework). */
export function parseCloudEvent(ce: CloudEventLike): PayloadParse {
  return fromCloudEvent(ce, 0, 'cloudevent');
}

function fromCloudEvent(ce: CloudEventLike, depth: number, format: string): PayloadParse {
  if (isStorageCloudEvent(ce)) return { formats: [format], ...parseStorageCloudEvent(ce) };
  if (ce.type === PUBSUB_PUBLISHED) return wrap(format, fromPubsub(parsePubsubPush(ce.data), depth + 1));
  return { formats: [format], events: [], ignored: [{ reason: `CloudEvent type ${ce.type} is not routed` }] };
}

function fromPubsub(message: PubsubPushMessage, depth: number): PayloadParse {
  const { attributes, data, messageId } = message;
  if (isGcsNotification(attributes)) {
    const parsed = parseGcsNotification(attributes, data, messageId);
    return parsed.kind === 'finalize'
      ? { formats: ['pubsub', 'gcs-notification'], events: [parsed.event], ignored: [] }
      : {
          formats: ['pubsub', 'gcs-notification'],
          events: [],
          ignored: [{ reason: parsed.reason, event: parsed.event }],
        };
  }
  const text = data.toString('utf8');
  if (attributes['ce-specversion'] !== undefined) {
    const header = (name: string): string | undefined =>
      name === 'content-type' ? attributes['content-type'] : attributes[name];
    return wrap('pubsub', fromCloudEvent(cloudEventFromBinary(header, text), depth + 1, 'cloudevent-binary'));
  }
  if (data.length === 0) {
    throw new EventInvalidError(
      'Pub/Sub message has no data and is not a GCS notification (eventType, bucketId attributes)',
      {
        messageId,
        attributes,
      },
    );
  }
  return wrap('pubsub', parseNotification(parseEventJson(text, 'Pub/Sub message data'), depth + 1));
}

function fromSns(value: unknown, depth: number): PayloadParse {
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
  return wrap('sns', parseNotification(parseEventJson(envelope.message, 'SNS Message'), depth + 1));
}

function wrap(format: string, inner: PayloadParse): PayloadParse {
  return { ...inner, formats: [format, ...inner.formats] };
}

function merge(parts: PayloadParse[]): PayloadParse {
  return {
    formats: [...new Set(parts.flatMap((p) => p.formats))],
    events: parts.flatMap((p) => p.events),
    ignored: parts.flatMap((p) => p.ignored),
  };
}
