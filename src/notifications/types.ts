import type { ObjectEvent } from '../model/event.js';

/**
 * What a notification parser yields: the events to route, and the
 * notifications it understood but does not route (deletions, test events,
 * control messages), each with its reason, which the caller acknowledges.
 */
export interface NotificationParse {
  events: ObjectEvent[];
  ignored: Array<{ reason: string; event?: ObjectEvent }>;
}

/**
 * What `decodeNotification` read, whatever the format: the events to route,
 * what was understood but is not routed (with reasons), and the formats it
 * was wrapped in, outermost first (e.g. `sns`, `s3`). A notification whose
 * events are all ignored is still a notification: only what cannot be read
 * as one is refused (EventInvalidError).
 */
export interface DecodedNotification extends NotificationParse {
  formats: string[];
  /** An SNS SubscriptionConfirmation's URL: logged for an operator, never fetched. */
  subscribeUrl?: string;
}
