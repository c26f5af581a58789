import { EventInvalidError } from '../model/errors.js';
import { isRecord } from './json.js';

/**
 * A Pub/Sub push request body (`{ message: { data, attributes, messageId,
 * publishTime }, subscription }`), also the `data` of an Eventarc
 * `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent. `data` is
 * decoded from base64; what it holds (a GCS notification, a CloudEvent, an S3
 * event) is for the caller to read.
 */
export interface PubsubPushMessage {
  attributes: Record<string, string>;
  data: Buffer;
  messageId?: string;
  publishTime?: string;
  subscription?: string;
}

/** True when a parsed body has the push envelope's shape (a `message` object). */
export function isPubsubPush(value: unknown): boolean {
  return (
    isRecord(value) && isRecord(value.message) && ('data' in value.message || 'attributes' in value.message)
  );
}

/** Checks and decodes a push envelope; throws EventInvalidError naming the bad field. */
export function parsePubsubPush(value: unknown): PubsubPushMessage {
  if (!isRecord(value) || !isRecord(value.message))
    throw new EventInvalidError('Pub/Sub push body has no `message` object', {});
  const message = value.message;
  const attributes: Record<string, string> = {};
  if (message.attributes !== undefined && message.attributes !== null) {
    if (!isRecord(message.attributes))
      throw new EventInvalidError('Pub/Sub message `attributes` is not an object', {});
    for (const [name, attr] of Object.entries(message.attributes)) {
      if (typeof attr !== 'string') {
        throw new EventInvalidError(`Pub/Sub message attribute \`${name}\` is not a string`, {
          attribute: name,
        });
      }
      attributes[name] = attr;
    }
  }
  let data: Buffer = Buffer.alloc(0);
  if (message.data !== undefined && message.data !== null) {
    if (typeof message.data !== 'string')
      throw new EventInvalidError('Pub/Sub message `data` is not a base64 string', {});
    data = decodeBase64Strict(message.data, 'Pub/Sub message data');
  }
  const result: PubsubPushMessage = { attributes, data };
  const messageId = firstString(message.messageId, message.message_id);
  if (messageId) result.messageId = messageId;
  const publishTime = firstString(message.publishTime, message.publish_time);
  if (publishTime) result.publishTime = publishTime;
  if (typeof value.subscription === 'string') result.subscription = value.subscription;
  return result;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Decodes standard (padded) or URL-safe base64; anything else is refused, never silently truncated. */
export function decodeBase64Strict(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (BASE64.test(compact)) return Buffer.from(compact, 'base64');
  if (BASE64URL.test(compact) && compact.length % 4 !== 1) return Buffer.from(compact, 'base64url');
  throw new EventInvalidError(`${what} is not valid base64`, { data: text.slice(0, 100) });
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v !== '') return v;
  return undefined;
}

/**
 * The message attributes an unwrapped push may carry that switchyard reads:
 * a GCS notification's and a binary CloudEvent's. With payload unwrapping
 * and `write metadata`, Pub/Sub sends the data as the body, each attribute
 * as a header of its own name and the metadata as `x-goog-pubsub-*` headers.
 */
const UNWRAPPED_ATTRIBUTES = [
  'eventType',
  'bucketId',
  'objectId',
  'objectGeneration',
  'eventTime',
  'payloadFormat',
  'notificationConfig',
  'overwroteGeneration',
  'overwrittenByGeneration',
  'ce-specversion',
  'ce-id',
  'ce-source',
  'ce-type',
  'ce-subject',
  'ce-time',
  'content-type',
] as const;

/** True when the request is an unwrapped push written with its metadata (`x-goog-pubsub-*` headers). */
export function isUnwrappedPush(header: (name: string) => string | undefined): boolean {
  return (
    header('x-goog-pubsub-message-id') !== undefined ||
    header('x-goog-pubsub-subscription-name') !== undefined
  );
}

/** The message an unwrapped push delivers: its body as data, its attributes and metadata from the headers. */
export function unwrappedPushMessage(
  header: (name: string) => string | undefined,
  data: Buffer,
): PubsubPushMessage {
  const attributes: Record<string, string> = {};
  for (const name of UNWRAPPED_ATTRIBUTES) {
    const value = header(name);
    if (value !== undefined) attributes[name] = value;
  }
  const message: PubsubPushMessage = { attributes, data };
  const messageId = header('x-goog-pubsub-message-id');
  if (messageId) message.messageId = messageId;
  const publishTime = header('x-goog-pubsub-publish-time');
  if (publishTime) message.publishTime = publishTime;
  const subscription = header('x-goog-pubsub-subscription-name');
  if (subscription) message.subscription = subscription;
  return message;
}
