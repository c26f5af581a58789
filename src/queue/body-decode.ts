import { errorMessage } from '../errors.js';
import {
  isGcsNotification,
  parseGcsNotification,
  type PubsubAttributes,
} from '../events/gcs-notification.js';
import { isS3Event, parseS3Event, type S3EventParse } from '../events/s3-event.js';
import type { ObjectEvent } from '../events/types.js';
import { checkEvent, decodeEvent, placeholderEvent } from './event-codec.js';
import type { QueueMessage } from './types.js';

/** What a backend message body says, before the backend adds id, attempts and enqueuedAt. */
export type DecodedBody = Pick<QueueMessage, 'event' | 'extraEvents' | 'ignore' | 'malformed'>;

/** A body switchyard wrote itself (`encodeEvent`). Never throws: a bad body is `malformed`. */
export function decodeSwitchyardBody(body: string, origin: ObjectEvent['origin'] = 'manual'): DecodedBody {
  try {
    return { event: decodeEvent(body) };
  } catch (error) {
    return { event: placeholderEvent(origin), malformed: errorMessage(error) };
  }
}

/** A Pub/Sub message: a GCS notification (by its attributes) or a switchyard event. Never throws. */
export function decodePubsubMessage(
  attributes: PubsubAttributes,
  data: Uint8Array | null | undefined,
  messageId?: string,
): DecodedBody {
  if (!isGcsNotification(attributes))
    return decodeSwitchyardBody(Buffer.from(data ?? []).toString('utf8'), 'gcs');
  try {
    const parsed = parseGcsNotification(attributes, data, messageId);
    return parsed.kind === 'finalize'
      ? { event: parsed.event }
      : { event: parsed.event, ignore: parsed.reason };
  } catch (error) {
    return { event: placeholderEvent('gcs'), malformed: errorMessage(error) };
  }
}

/** An SQS body: an S3 event notification (bare or SNS-wrapped) or a switchyard event. Never throws. */
export function decodeSqsBody(body: string): DecodedBody {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return decodeSwitchyardBody(body, 's3');
  }
  try {
    if (isS3Event(value)) return fromS3(parseS3Event(value));
    return { event: checkEvent(value, body) };
  } catch (error) {
    return { event: placeholderEvent('s3'), malformed: errorMessage(error) };
  }
}

function fromS3(parsed: S3EventParse): DecodedBody {
  const [first, ...rest] = parsed.events;
  if (first) return rest.length > 0 ? { event: first, extraEvents: rest } : { event: first };
  const reason = parsed.ignored.map((i) => i.reason).join('; ') || 'S3 event holds no records';
  return { event: parsed.ignored[0]?.event ?? placeholderEvent('s3'), ignore: reason };
}
