import { describe, expect, it } from 'vitest';
import { EventInvalidError } from '../../src/model/errors.js';
import { decodeNotification } from '../../src/notifications/decode.js';
import { gcsBucketNameRule } from '../../src/notifications/gcs-bucket-name.js';
import { decodeBase64Strict } from '../../src/notifications/pubsub-push.js';

const binary = (subject: string, name: string) =>
  decodeNotification({
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': '1',
      'ce-source': '//storage.googleapis.com/projects/_/buckets/raw_data',
      'ce-type': 'google.cloud.storage.object.v1.finalized',
      'ce-subject': subject,
    },
    body: JSON.stringify({ bucket: 'raw_data', name }),
  });

describe('binary-mode CloudEvent subjects', () => {
  it('percent-decodes ce-* headers (non-ASCII keys)', () => {
    expect(binary('objects/caf%C3%A9%20cr%C3%A8me.csv', 'café crème.csv').events[0]?.key).toBe(
      'café crème.csv',
    );
  });

  it('keeps a subject sent unencoded when it names the object (a literal % in the key)', () => {
    expect(binary('objects/100%.csv', '100%.csv').events[0]?.key).toBe('100%.csv');
    expect(binary('objects/a%20b.csv', 'a%20b.csv').events[0]?.key).toBe('a%20b.csv');
  });

  it('refuses a subject naming another object', () => {
    expect(() => binary('objects/other.csv', 'finance.csv')).toThrow(/differs from the subject/);
  });
});

describe('strict base64', () => {
  it('decodes standard and URL-safe base64, refuses the rest', () => {
    expect(decodeBase64Strict(Buffer.from('{"a":1}').toString('base64'), 'x').toString()).toBe('{"a":1}');
    expect(decodeBase64Strict(Buffer.from('??>>').toString('base64url'), 'x').toString()).toBe('??>>');
    for (const bad of ['a', 'a===', '!!!!', 'ab$d', 'ab=c'])
      expect(() => decodeBase64Strict(bad, 'x'), bad).toThrow(/base64/);
  });
});

describe('envelopes', () => {
  it('reads an S3 event inside SNS inside Pub/Sub, and names every layer', () => {
    const s3 = {
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'raw_data' }, object: { key: 'sale+fr.csv' } },
        },
      ],
    };
    const sns = {
      Type: 'Notification',
      MessageId: 'm',
      TopicArn: 'arn:aws:sns:eu-west-3:1:t',
      Message: JSON.stringify(s3),
    };
    const push = {
      message: { data: Buffer.from(JSON.stringify(sns)).toString('base64'), messageId: '9' },
      subscription: 's',
    };
    const parse = decodeNotification({ value: push });
    expect(parse.formats).toEqual(['pubsub', 'sns', 's3']);
    expect(parse.events).toEqual([
      expect.objectContaining({ bucket: 'raw_data', key: 'sale fr.csv', origin: 's3' }),
    ]);
  });

  it('reads a structured CloudEvent carried in Pub/Sub data', () => {
    const ce = {
      specversion: '1.0',
      id: 'x',
      source: '//storage.googleapis.com/projects/_/buckets/raw_data',
      type: 'google.cloud.storage.object.v1.finalized',
      subject: 'objects/finance.csv',
      data: { bucket: 'raw_data', name: 'finance.csv', generation: 17 },
    };
    const parse = decodeNotification({
      value: { message: { data: Buffer.from(JSON.stringify(ce)).toString('base64') }, subscription: 's' },
    });
    expect(parse.formats).toEqual(['pubsub', 'cloudevent-structured']);
    expect(parse.events[0]).toMatchObject({
      key: 'finance.csv',
      generation: '17',
      eventId: 'x',
      origin: 'gcs',
    });
  });

  it('reads every CloudEvent of a batch', () => {
    const one = (name: string) => ({
      specversion: '1.0',
      id: name,
      source: '//storage.googleapis.com/projects/_/buckets/raw_data',
      type: 'google.cloud.storage.object.v1.finalized',
      data: { name },
    });
    const parse = decodeNotification({
      headers: { 'Content-Type': 'application/cloudevents-batch+json' },
      body: JSON.stringify([one('a.csv'), one('b.csv')]),
    });
    expect(parse.events.map((e) => `${e.bucket}/${e.key}`)).toEqual(['raw_data/a.csv', 'raw_data/b.csv']);
  });
});

describe('what a notification is, wherever it arrives', () => {
  const queuedEvent = { origin: 'manual', project: 'p', bucket: 'raw_data', key: 'finance.csv' };

  it("reads switchyard's own queued event from a queue body only, never from a request", () => {
    expect(decodeNotification({ body: JSON.stringify(queuedEvent), queued: true })).toEqual({
      formats: ['switchyard'],
      events: [queuedEvent],
      ignored: [],
    });
    expect(() => decodeNotification({ body: JSON.stringify(queuedEvent) })).toThrow(
      /unrecognized notification/,
    );
    expect(() => decodeNotification({ body: '{"bucket": 1}', queued: true })).toThrow(
      /nor a switchyard event: queue message field `bucket`: expected a non-empty string/,
    );
  });

  it('reads an EventBridge event in an SQS body as the Lambda handler does', () => {
    const body = JSON.stringify({
      'detail-type': 'Object Created',
      source: 'aws.s3',
      detail: { bucket: { name: 'raw_data' }, object: { key: 'sale+fr.csv', 'version-id': 'v1' } },
    });
    expect(decodeNotification({ body, queued: true }).events).toEqual([
      expect.objectContaining({ bucket: 'raw_data', key: 'sale fr.csv', generation: 'v1', origin: 's3' }),
    ]);
  });

  it('tells a notification it ignores (acknowledged) from what is no notification (refused)', () => {
    const deleted = decodeNotification({
      value: {
        specversion: '1.0',
        id: 'd',
        source: '//storage.googleapis.com/projects/_/buckets/raw_data',
        type: 'google.cloud.storage.object.v1.deleted',
        data: { name: 'finance.csv' },
      },
    });
    expect(deleted).toMatchObject({
      events: [],
      ignored: [{ reason: expect.stringMatching(/deleted is not routed/) }],
    });
    expect(() => decodeNotification({ value: { hello: 'world' } })).toThrow(EventInvalidError);
    expect(() => decodeNotification({ body: Buffer.from([0xff, 0xfe]) })).toThrow(/not UTF-8/);
  });

  it('reads an unwrapped push from its x-goog-pubsub-* and attribute headers; without them, names the option', () => {
    const object = { kind: 'storage#object', bucket: 'raw_data', name: 'finance.csv', generation: '7' };
    const headers = {
      'x-goog-pubsub-message-id': '42',
      eventtype: 'OBJECT_FINALIZE',
      bucketid: 'raw_data',
      objectid: 'finance.csv',
      payloadformat: 'JSON_API_V1',
    };
    expect(decodeNotification({ body: JSON.stringify(object), headers })).toMatchObject({
      formats: ['pubsub-unwrapped', 'gcs-notification'],
      events: [{ bucket: 'raw_data', key: 'finance.csv', generation: '7', eventId: '42' }],
    });
    expect(() => decodeNotification({ body: JSON.stringify(object) })).toThrow(
      /without its notification attributes .*--push-no-wrapper-write-metadata/,
    );
  });

  it('reads 1st-gen background events: storage by type, Pub/Sub by the GCS notification inside', () => {
    const background = (eventType: string) => ({
      context: {
        eventId: 'e-1',
        timestamp: '2024-05-06T07:08:09Z',
        eventType,
        resource: { service: 'storage.googleapis.com', name: 'projects/_/buckets/raw_data/objects/a/b.csv' },
      },
      data: { bucket: 'raw_data', name: 'a/b.csv', generation: '3' },
    });
    expect(decodeNotification({ value: background('google.storage.object.finalize') })).toMatchObject({
      formats: ['gcs-background'],
      events: [{ bucket: 'raw_data', key: 'a/b.csv', generation: '3', eventId: 'e-1' }],
    });
    expect(decodeNotification({ value: background('google.storage.object.delete') })).toMatchObject({
      events: [],
      ignored: [{ reason: expect.stringMatching(/deleted is not routed/) }],
    });
    const pubsub = {
      eventId: 'p-1',
      timestamp: '2024-05-06T07:08:09Z',
      eventType: 'google.pubsub.topic.publish',
      resource: 'projects/p/topics/t',
      data: {
        data: '',
        attributes: {
          eventType: 'OBJECT_FINALIZE',
          bucketId: 'raw_data',
          objectId: 'c.csv',
          payloadFormat: 'NONE',
        },
      },
    };
    expect(decodeNotification({ value: pubsub })).toMatchObject({
      formats: ['pubsub-background', 'pubsub', 'gcs-notification'],
      events: [{ bucket: 'raw_data', key: 'c.csv', eventId: 'p-1' }],
    });
  });

  it('accepts a percent-encoded subject a framework copied from a binary-mode header', () => {
    const parse = decodeNotification({
      value: {
        specversion: '1.0',
        id: 'x',
        source: '//storage.googleapis.com/projects/_/buckets/raw_data',
        type: 'google.cloud.storage.object.v1.finalized',
        subject: 'objects/caf%C3%A9%20cr%C3%A8me.csv',
        data: { name: 'café crème.csv' },
      },
    });
    expect(parse.events[0]?.key).toBe('café crème.csv');
  });
});

describe('Cloud Storage bucket names', () => {
  it('accepts what GCS could have created', () => {
    for (const name of ['raw_data', 'landing-eu', 'some-bucket', 'a.b.c', 'x'.repeat(63), '1-2'])
      expect(gcsBucketNameRule(name), name).toBeUndefined();
  });

  it('names the rule a name breaks', () => {
    expect(gcsBucketNameRule('BUCKET_NAME')).toMatch(/only lowercase letters/);
    expect(gcsBucketNameRule('-bucket')).toMatch(/starts and ends/);
    expect(gcsBucketNameRule('ab')).toMatch(/3 to 63/);
    expect(gcsBucketNameRule('x'.repeat(64))).toMatch(/3 to 63/);
    expect(gcsBucketNameRule(`${'x'.repeat(64)}.com`)).toMatch(/1 to 63/);
    expect(gcsBucketNameRule('192.168.5.4')).toMatch(/IP address/);
    expect(gcsBucketNameRule('goog-data')).toMatch(/"goog"/);
    expect(gcsBucketNameRule('my-google-data')).toMatch(/"google"/);
  });

  it('refuses a GCS notification or CloudEvent naming another, by field', () => {
    expect(() =>
      decodeNotification({
        value: {
          specversion: '1.0',
          id: 'x',
          source: '//storage.googleapis.com/projects/_/buckets/Raw',
          type: 'google.cloud.storage.object.v1.finalized',
          subject: 'objects/a.csv',
        },
      }),
    ).toThrow(/source names "Raw", not a Cloud Storage bucket name: a bucket name holds only lowercase/);
    expect(() =>
      decodeNotification({
        body: '',
        attributes: {
          eventType: 'OBJECT_FINALIZE',
          bucketId: 'My Bucket',
          objectId: 'a.csv',
          payloadFormat: 'NONE',
        },
      }),
    ).toThrow(/attribute `bucketId` "My Bucket" is not a Cloud Storage bucket name/);
  });
});
