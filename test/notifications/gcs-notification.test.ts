import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { EventInvalidError } from '../../src/model/errors.js';
import { isGcsNotification, parseGcsNotification } from '../../src/notifications/gcs-notification.js';

/** A GCS OBJECT_FINALIZE notification (payload JSON_API_V1) in the Pub/Sub push envelope it arrives in. */
const { message } = JSON.parse(
  await readFile(new URL('../fixtures/events/gcs-pubsub-object-finalize.json', import.meta.url), 'utf8'),
) as {
  message: { attributes: Record<string, string>; data: string; messageId: string };
};
const object = JSON.parse(Buffer.from(message.data, 'base64').toString('utf8')) as Record<string, unknown>;

const FINALIZED = {
  origin: 'gcs',
  bucket: 'landing-eu',
  key: 'sales/2024/sale fr.csv',
  generation: '1714979289123456',
  size: 1024,
  crc32c: 'AAAAAA==',
  md5: '1B2M2Y8AsgTpgAmY7PhCfg==',
  eventTime: '2024-05-06T07:08:09.120Z',
  eventId: '10515153848923547',
};

describe('parseGcsNotification', () => {
  it('turns OBJECT_FINALIZE (data as base64 text or bytes) into an ObjectEvent', () => {
    expect(isGcsNotification(message.attributes)).toBe(true);
    expect(parseGcsNotification(message.attributes, message.data, message.messageId)).toEqual({
      kind: 'finalize',
      event: FINALIZED,
    });
    const bytes = Buffer.from(message.data, 'base64');
    expect(parseGcsNotification(message.attributes, bytes, message.messageId)).toEqual({
      kind: 'finalize',
      event: FINALIZED,
    });
  });

  it('reads payload format NONE from the attributes alone', () => {
    expect(parseGcsNotification({ ...message.attributes, payloadFormat: 'NONE' }, undefined)).toEqual({
      kind: 'finalize',
      event: {
        origin: 'gcs',
        bucket: 'landing-eu',
        key: 'sales/2024/sale fr.csv',
        generation: '1714979289123456',
        eventTime: '2024-05-06T07:08:09.123456Z',
      },
    });
  });

  it('returns other event types as ignored, with the reason', () => {
    const parsed = parseGcsNotification({ ...message.attributes, eventType: 'OBJECT_DELETE' }, message.data);
    expect(parsed).toMatchObject({
      kind: 'ignored',
      reason: 'GCS event type OBJECT_DELETE is not routed',
      event: { key: 'sales/2024/sale fr.csv' },
    });
  });

  it('refuses a malformed notification with the offending attributes', () => {
    expect(isGcsNotification({ foo: 'bar' })).toBe(false);
    expect(() => parseGcsNotification({ bucketId: 'b' }, undefined)).toThrow(EventInvalidError);
    expect(() => parseGcsNotification(message.attributes, Buffer.from('{not json'))).toThrow(/not JSON/);
    expect(() =>
      parseGcsNotification(message.attributes, Buffer.from(JSON.stringify({ ...object, size: 'big' }))),
    ).toThrow(/size "big"/);
    expect(() =>
      parseGcsNotification({ eventType: 'OBJECT_FINALIZE', bucketId: '', objectId: '' }, Buffer.from('{}')),
    ).toThrow(/names no bucket/);
  });
});
