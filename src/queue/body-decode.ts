import { isUtf8 } from 'node:buffer';
import { errorMessage } from '../errors.js';
import {
  isGcsNotification,
  parseGcsNotification,
  type PubsubAttributes,
} from '../events/gcs-notification.js';
import { isS3Event, parseS3Event, type S3EventParse } from '../events/s3-event.js';
import type { ObjectEvent } from '../events/types.js';
import { checkEvent, decodeEvent, placeholderEvent } from './event-codec.js';
import { MessageUnreadableError } from './queue-errors.js';
import { rawExcerpt } from './raw-body.js';
import type { QueueMessage } from './types.js';

/** What a backend message body says, before the backend adds id, attempts and enqueuedAt. */
export type DecodedBody = Pick<QueueMessage, 'event' | 'extraEvents' | 'ignore' | 'malformed' | 'raw'>;

const SWITCHYARD_EVENT = 'a switchyard event (JSON)';

/**
 * The decoding of a body that cannot be read: a placeholder event, the
 * E_MESSAGE_UNREADABLE message as `malformed` and the body's first bytes as `raw`.
 */
export function unreadableBody(
  origin: ObjectEvent['origin'],
  expected: string,
  body: string | Uint8Array,
  error: unknown,
): DecodedBody {
  const raw = rawExcerpt(body);
  const problem = errorMessage(error).replace(/^\[switchyard\] \[[a-z-]+\] /, '');
  const unreadable = new MessageUnreadableError(expected, raw, problem, error);
  return { event: placeholderEvent(origin), malformed: unreadable.message, raw };
}

/** A body switchyard wrote itself (`encodeEvent`). Never throws: a bad body is `malformed`. */
export function decodeSwitchyardBody(
  body: string | Uint8Array,
  origin: ObjectEvent['origin'] = 'manual',
): DecodedBody {
  if (typeof body !== 'string' && !isUtf8(body))
    return unreadableBody(origin, SWITCHYARD_EVENT, body, 'the body is not UTF-8 text');
  try {
    return { event: decodeEvent(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) };
  } catch (error) {
    return unreadableBody(origin, SWITCHYARD_EVENT, body, error);
  }
}

/** A Pub/Sub message: a GCS notification (by its attributes) or a switchyard event. Never throws. */
export function decodePubsubMessage(
  attributes: PubsubAttributes,
  data: Uint8Array | null | undefined,
  messageId?: string,
): DecodedBody {
  const bytes = data ?? new Uint8Array();
  if (!isGcsNotification(attributes)) return decodeSwitchyardBody(bytes, 'gcs');
  try {
    const parsed = parseGcsNotification(attributes, data, messageId);
    return parsed.kind === 'finalize'
      ? { event: parsed.event }
      : { event: parsed.event, ignore: parsed.reason };
  } catch (error) {
    return unreadableBody('gcs', 'a GCS notification (JSON object metadata)', bytes, error);
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
    return unreadableBody('s3', 'an S3 event notification or a switchyard event (JSON)', body, error);
  }
}

function fromS3(parsed: S3EventParse): DecodedBody {
  const [first, ...rest] = parsed.events;
  if (first) return rest.length > 0 ? { event: first, extraEvents: rest } : { event: first };
  const reason = parsed.ignored.map((i) => i.reason).join('; ') || 'S3 event holds no records';
  return { event: parsed.ignored[0]?.event ?? placeholderEvent('s3'), ignore: reason };
}
