import { errorMessage } from '../model/errors.js';
import type { ObjectEvent } from '../model/event.js';
import { decodeNotification } from '../notifications/decode.js';
import type { DecodedNotification } from '../notifications/types.js';
import { MessageUnreadableError } from './queue-errors.js';
import { rawExcerpt } from './raw-body.js';
import type { QueueMessage } from './types.js';

/** What a backend message body says, before the backend adds id, attempts and enqueuedAt. */
export type DecodedBody = Pick<QueueMessage, 'event' | 'extraEvents' | 'ignore' | 'malformed' | 'raw'>;

export interface QueueBodyOptions {
  /** The origin of the placeholder event an unreadable body carries (the kind of notification the queue is for). */
  origin: ObjectEvent['origin'];
  /** A Pub/Sub message's attributes (a GCS notification is known by them). */
  attributes?: Readonly<Record<string, string>>;
  messageId?: string;
}

const EXPECTED =
  'a storage notification (GCS, CloudEvent, S3, SNS, EventBridge) or a switchyard event (JSON)';

/**
 * Reads a message body through `decodeNotification`, as every backend does:
 * the first event as `event`, the others of the same notification as
 * `extraEvents`; a notification with nothing to route is `ignore`d with its
 * reasons. Never throws: a body that is no notification nor switchyard event
 * comes back `malformed` (E_MESSAGE_UNREADABLE) with its first bytes as `raw`.
 */
export function decodeQueueBody(body: string | Uint8Array, options: QueueBodyOptions): DecodedBody {
  try {
    const decoded = decodeNotification({
      body,
      queued: true,
      ...(options.attributes ? { attributes: options.attributes } : {}),
      ...(options.messageId ? { messageId: options.messageId } : {}),
    });
    return fromDecoded(decoded, options.origin);
  } catch (error) {
    return unreadableBody(options.origin, body, error);
  }
}

/** The event a malformed message carries so it can still be dead-lettered. */
export function placeholderEvent(origin: ObjectEvent['origin']): ObjectEvent {
  return { origin, bucket: '', key: '' };
}

function fromDecoded(decoded: DecodedNotification, origin: ObjectEvent['origin']): DecodedBody {
  const [first, ...rest] = decoded.events;
  if (first) return rest.length > 0 ? { event: first, extraEvents: rest } : { event: first };
  const reason = decoded.ignored.map((i) => i.reason).join('; ') || 'the notification holds no events';
  return { event: decoded.ignored[0]?.event ?? placeholderEvent(origin), ignore: reason };
}

function unreadableBody(
  origin: ObjectEvent['origin'],
  body: string | Uint8Array,
  error: unknown,
): DecodedBody {
  const raw = rawExcerpt(body);
  const problem = errorMessage(error).replace(/^\[switchyard\] \[[a-z-]+\] /, '');
  const unreadable = new MessageUnreadableError(EXPECTED, raw, problem, error);
  return { event: placeholderEvent(origin), malformed: unreadable.message, raw };
}
