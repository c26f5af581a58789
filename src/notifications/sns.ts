import { EventInvalidError } from '../model/errors.js';
import { isRecord } from './json.js';

/**
 * An Amazon SNS message as SNS posts it to an HTTP(S) subscriber (by default
 * with `Content-Type: text/plain`). A `Notification` carries the published
 * message (an S3 event, an EventBridge event) as a JSON string; a
 * `SubscriptionConfirmation` carries the URL that confirms the subscription,
 * which switchyard logs and never fetches.
 */
export type SnsEnvelope =
  | { type: 'Notification'; messageId: string; topicArn: string; message: string; subject?: string }
  | { type: 'SubscriptionConfirmation'; messageId: string; topicArn: string; subscribeUrl: string }
  | { type: 'UnsubscribeConfirmation'; messageId: string; topicArn: string };

const TYPES: ReadonlySet<string> = new Set([
  'Notification',
  'SubscriptionConfirmation',
  'UnsubscribeConfirmation',
]);

/** True when a parsed body has the SNS envelope's shape (`Type`, `TopicArn`). */
export function isSnsEnvelope(value: unknown): boolean {
  return isRecord(value) && typeof value.Type === 'string' && 'TopicArn' in value;
}

/** Checks an SNS envelope; throws EventInvalidError naming the bad field. */
export function parseSnsEnvelope(value: unknown): SnsEnvelope {
  if (!isRecord(value)) throw new EventInvalidError('SNS message is not a JSON object', {});
  const type = value.Type;
  if (typeof type !== 'string' || !TYPES.has(type)) {
    throw new EventInvalidError(
      `SNS message Type ${JSON.stringify(type)} is not one of ${[...TYPES].join(', ')}`,
      { type },
    );
  }
  const field = (name: string): string => {
    const v = value[name];
    if (typeof v !== 'string' || v === '') {
      throw new EventInvalidError(`SNS ${type} has no \`${name}\` string`, {
        type,
        messageId: value.MessageId,
      });
    }
    return v;
  };
  const messageId = field('MessageId');
  const topicArn = field('TopicArn');
  if (type === 'Notification') {
    const envelope: SnsEnvelope = { type, messageId, topicArn, message: field('Message') };
    if (typeof value.Subject === 'string') envelope.subject = value.Subject;
    return envelope;
  }
  if (type === 'SubscriptionConfirmation')
    return { type, messageId, topicArn, subscribeUrl: field('SubscribeURL') };
  return { type: 'UnsubscribeConfirmation', messageId, topicArn };
}
