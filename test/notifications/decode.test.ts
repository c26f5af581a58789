import { describe, expect, it } from 'vitest';
import { decodeNotification } from '../../src/notifications/decode.js';
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
