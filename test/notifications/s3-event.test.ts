import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { EventInvalidError } from '../../src/model/errors.js';
import { decodeNotification } from '../../src/notifications/decode.js';
import { parseEventBridgeEvent } from '../../src/notifications/eventbridge.js';
import { isS3Event, parseS3Event } from '../../src/notifications/s3-event.js';

const fixture = JSON.parse(
  await readFile(new URL('../fixtures/events/s3-object-created.json', import.meta.url), 'utf8'),
) as {
  Records: Array<Record<string, unknown> & { s3: { object: Record<string, unknown> } }>;
};

const record = (eventName: string, key: string): Record<string, unknown> => ({
  ...fixture.Records[0],
  eventName,
  s3: { ...fixture.Records[0]?.s3, object: { ...fixture.Records[0]?.s3.object, key } },
});

describe('parseS3Event', () => {
  it('turns an ObjectCreated record into an ObjectEvent with the key URL-decoded (+ is a space)', () => {
    expect(parseS3Event(fixture)).toEqual({
      events: [
        {
          origin: 's3',
          bucket: 'landing-eu',
          key: 'sales/2024/sale fr été +1.csv',
          generation: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
          size: 1024,
          eventTime: '2024-05-06T07:08:09.123Z',
          eventId: '0055AED6DCD90281E5',
        },
      ],
      ignored: [],
    });
  });

  it('accepts the JSON text and names no generation when the bucket is not versioned', () => {
    // unversioned, the generation is ETag + LastModified, and a record carries no LastModified:
    // the router's look names it, as a scan would, never the ETag alone
    const unversioned = record('ObjectCreated:CompleteMultipartUpload', 'a.csv');
    delete (unversioned.s3 as { object: Record<string, unknown> }).object.versionId;
    const [event] = parseS3Event(JSON.stringify({ Records: [unversioned] })).events;
    expect(event).toMatchObject({ key: 'a.csv', size: 1024, eventId: '0055AED6DCD90281E5' });
    expect(event?.generation).toBeUndefined();
    const suspended = record('ObjectCreated:Put', 'b.csv');
    (suspended.s3 as { object: Record<string, unknown> }).object.versionId = 'null';
    expect(parseS3Event({ Records: [suspended] }).events[0]?.generation).toBeUndefined();
  });

  it('keeps every created record, ignores removals with their reason', () => {
    const parsed = parseS3Event({
      Records: [
        record('ObjectCreated:Put', 'a.csv'),
        record('ObjectRemoved:Delete', 'b.csv'),
        record('s3:ObjectCreated:Copy', 'c.csv'),
      ],
    });
    expect(parsed.events.map((e) => e.key)).toEqual(['a.csv', 'c.csv']);
    expect(parsed.ignored).toEqual([
      {
        reason: 'S3 event ObjectRemoved:Delete is not routed',
        event: expect.objectContaining({ key: 'b.csv' }),
      },
    ]);
  });

  it('is opened from SNS by decodeNotification; SNS control messages and the S3 test event are ignored', () => {
    const sns = {
      Type: 'Notification',
      MessageId: 'm-1',
      TopicArn: 'arn:aws:sns:eu-west-3:1:t',
      Message: JSON.stringify(fixture),
    };
    expect(isS3Event(sns)).toBe(false);
    const opened = decodeNotification({ value: sns });
    expect(opened.formats).toEqual(['sns', 's3']);
    expect(opened.events.map((e) => e.key)).toEqual(['sales/2024/sale fr été +1.csv']);
    const confirmation = {
      Type: 'SubscriptionConfirmation',
      MessageId: 'm-2',
      TopicArn: 'arn:aws:sns:eu-west-3:1:t',
      Message: 'confirm',
      SubscribeURL: 'https://x',
    };
    expect(decodeNotification({ value: confirmation })).toMatchObject({
      events: [],
      ignored: [{ reason: expect.stringMatching(/subscription confirmation/) }],
      subscribeUrl: 'https://x',
    });
    const test = {
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: '2024-05-06T07:08:09.123Z',
      Bucket: 'landing-eu',
    };
    expect(isS3Event(test)).toBe(true);
    expect(parseS3Event(test)).toEqual({
      events: [],
      ignored: [{ reason: 'S3 test event for bucket landing-eu' }],
    });
  });

  it('refuses what is not an S3 event, naming the record', () => {
    expect(isS3Event({ bucket: 'b', key: 'k', origin: 'manual' })).toBe(false);
    expect(() => parseS3Event('not json')).toThrow(EventInvalidError);
    expect(() => parseS3Event({ Records: [{ eventName: 'ObjectCreated:Put' }] })).toThrow(
      /record 0: no `s3` object/,
    );
    expect(() => parseS3Event({ Records: [record('ObjectCreated:Put', 'bad%E0%A4%A.csv')] })).toThrow(
      /not URL-encoded/,
    );
  });
});

describe('parseEventBridgeEvent (S3 identity)', () => {
  const created = (object: Record<string, unknown>) => ({
    id: 'e-1',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    time: '2024-05-06T07:08:09Z',
    detail: { bucket: { name: 'landing-eu' }, object: { key: 'a.csv', size: 3, ...object } },
  });

  it('names the version id, and no generation in an unversioned bucket (the ETag alone is none)', () => {
    const versioned = parseEventBridgeEvent(created({ etag: 'abc', 'version-id': 'v1' }));
    expect(versioned.events[0]?.generation).toBe('v1');
    const unversioned = parseEventBridgeEvent(created({ etag: 'd41d8cd98f00b204e9800998ecf8427e' }));
    expect(unversioned.events[0]).toMatchObject({ key: 'a.csv', size: 3, eventId: 'e-1' });
    expect(unversioned.events[0]?.generation).toBeUndefined();
  });
});
