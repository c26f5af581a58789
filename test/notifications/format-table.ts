import {
  eventarcFixture,
  eventarcPlaceholder,
  eventBridgeFixture,
  gcsAttributes,
  gcsObject,
  googleLegacySample,
  googleSample,
  JSON_TYPE,
  pushEnvelope,
  s3Event,
  s3Key,
  snsConfirmation,
  snsEnvelope,
  storageCloudEvent,
  type Target,
} from './format-samples.js';

/**
 * Every notification format switchyard reads, each built for a given object
 * (so every cell of the format × entry point table routes a file of its own)
 * in the shape its sender documents: GCS and AWS samples from
 * test/fixtures/events, Google's documented CloudEvent and background event
 * samples, and one documented sample GCS itself could not have sent.
 */

/**
 * What the sender transmits:
 * - `message`: a JSON body that means the same without headers, so any
 *   transport carries it (HTTP, Lambda, every queue, SQS records);
 * - `request`: an HTTP request whose headers carry part of the notification;
 * - `pull`: a Pub/Sub message whose attributes carry part of it.
 */
export type Carrier = 'message' | 'request' | 'pull';

export interface Payload {
  body: string;
  /** The headers its HTTP sender sets (content type, `ce-*`, `x-goog-pubsub-*`…), Authorization aside. */
  headers: Record<string, string>;
  /** `pull`: the Pub/Sub message attributes. */
  attributes?: Record<string, string>;
  /** The event AWS invokes a Lambda function with, when it is not the body itself (SNS records). */
  lambdaEvent?: unknown;
}

/** What every entry point must make of the notification. */
export type Expectation =
  { kind: 'routed' } | { kind: 'ignored'; reason: RegExp } | { kind: 'invalid'; message: RegExp };

export interface FormatRow {
  name: string;
  carrier: Carrier;
  /** `request`: what its headers carry (a binary CloudEvent's `ce-*`, an unwrapped push's `x-goog-pubsub-*` and attributes). */
  requestHeaders?: 'ce' | 'x-goog-pubsub';
  /** Project and bucket of the source (the project is the referential's for the bucket). */
  project: string;
  bucket: string;
  /** The cell's key, unique per entry point. */
  key(entry: string): string;
  generation: string;
  /** Formats the HTTP answer names, outermost first. */
  formats?: string[];
  build(target: Target): Payload;
  expect: Expectation;
}

/** The projects TABLE_ROUTES names: a cloud entry point routes only between declared ones. */
export const TABLE_PROJECTS = ['source_bucket', 'samples', 'finance'];

export const TABLE_ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
source_bucket,raw_data,\\.csv$,finance,raw_data,
samples,some-bucket,\\.cs$,finance,samples,
`;

/** Where a row's file lands: the route keeps the base name. */
export function destinationOf(row: FormatRow, key: string): string {
  const name = key.split('/').at(-1) ?? key;
  return row.project === 'samples' ? `finance/samples/${name}` : `finance/raw_data/${name}`;
}

const csv = (id: string) => (entry: string) => `notif/${id} ${entry} été+1.csv`;
const asciiCsv = (id: string) => (entry: string) => `notif/${id} ${entry}.csv`;
const ROUTED = { kind: 'routed' } as const;

export const FORMAT_TABLE: FormatRow[] = [
  {
    name: 'GCS JSON_API_V1 notification, Pub/Sub wrapped push',
    carrier: 'message',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('gcs-push'),
    generation: '1714979291000002',
    formats: ['pubsub', 'gcs-notification'],
    build: (t) => ({
      body: JSON.stringify(pushEnvelope(gcsAttributes(t), gcsObject(t))),
      headers: JSON_TYPE,
    }),
    expect: ROUTED,
  },
  {
    name: 'GCS JSON_API_V1 notification, Pub/Sub unwrapped push (metadata in x-goog-pubsub-* headers)',
    carrier: 'request',
    requestHeaders: 'x-goog-pubsub',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: asciiCsv('gcs-unwrapped'),
    generation: '1714979291000012',
    formats: ['pubsub-unwrapped', 'gcs-notification'],
    build: (t) => ({
      body: JSON.stringify(gcsObject(t)),
      headers: {
        ...JSON_TYPE,
        ...gcsAttributes(t),
        'x-goog-pubsub-subscription-name': 'projects/source-bucket-prod/subscriptions/raw-data-unwrapped',
        'x-goog-pubsub-message-id': '10515153848923712',
        'x-goog-pubsub-publish-time': '2024-05-06T07:08:11.456Z',
      },
    }),
    expect: ROUTED,
  },
  {
    name: 'GCS JSON_API_V1 notification, Pub/Sub pull (attributes and data)',
    carrier: 'pull',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('gcs-pull'),
    generation: '1714979291000022',
    build: (t) => ({ body: JSON.stringify(gcsObject(t)), headers: {}, attributes: gcsAttributes(t) }),
    expect: ROUTED,
  },
  {
    name: 'Cloud Storage CloudEvent, structured mode',
    carrier: 'message',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('ce-structured'),
    generation: '1714979290000001',
    formats: ['cloudevent-structured'],
    build: (t) => ({
      body: JSON.stringify({
        ...storageCloudEvent(t, '10515153848923600'),
        datacontenttype: 'application/json',
        data: gcsObject(t),
      }),
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
    }),
    expect: ROUTED,
  },
  {
    name: 'Cloud Storage CloudEvent, binary mode (ce-* headers, subject percent-encoded)',
    carrier: 'request',
    requestHeaders: 'ce',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('ce-binary'),
    generation: '1714979289123456',
    formats: ['cloudevent-binary'],
    build: (t) => {
      const attributes = storageCloudEvent(t, '10515153848923547');
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      for (const [name, value] of Object.entries(attributes)) headers[`ce-${name}`] = encodeURI(value);
      return { body: JSON.stringify(gcsObject(t)), headers };
    },
    expect: ROUTED,
  },
  {
    name: 'Cloud Storage CloudEvent, binary mode in Pub/Sub attributes (pull)',
    carrier: 'pull',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('ce-pubsub-pull'),
    generation: '1714979293000014',
    build: (t) => {
      const attributes: Record<string, string> = { 'content-type': 'application/json' };
      for (const [name, value] of Object.entries(storageCloudEvent(t, '10515153848923814')))
        attributes[`ce-${name}`] = value;
      return { body: JSON.stringify(gcsObject(t)), headers: {}, attributes };
    },
    expect: ROUTED,
  },
  {
    name: 'Cloud Storage CloudEvent, binary mode in a Pub/Sub push',
    carrier: 'message',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('ce-pubsub-push'),
    generation: '1714979293000004',
    formats: ['pubsub', 'cloudevent-binary'],
    build: (t) => {
      const attributes: Record<string, string> = { 'content-type': 'application/json' };
      for (const [name, value] of Object.entries(storageCloudEvent(t, '10515153848923800')))
        attributes[`ce-${name}`] = value;
      return { body: JSON.stringify(pushEnvelope(attributes, gcsObject(t))), headers: JSON_TYPE };
    },
    expect: ROUTED,
  },
  {
    name: 'Eventarc Pub/Sub messagePublished CloudEvent carrying a GCS notification',
    carrier: 'message',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('eventarc-pubsub'),
    generation: '1714979298000009',
    formats: ['cloudevent-structured', 'pubsub', 'gcs-notification'],
    build: (t) => ({
      body: JSON.stringify({ ...eventarcFixture, data: pushEnvelope(gcsAttributes(t), gcsObject(t)) }),
      headers: { 'content-type': 'application/cloudevents+json' },
    }),
    expect: ROUTED,
  },
  {
    name: "Google's documented Cloud Storage CloudEvent sample (source with /objects/, no subject)",
    carrier: 'message',
    project: 'samples',
    bucket: 'some-bucket',
    key: (entry) => `folder/Test-${entry}.cs`,
    generation: '1587627537231057',
    formats: ['cloudevent-structured'],
    build: (t) => ({
      body: JSON.stringify({
        ...googleSample,
        source: `//storage.googleapis.com/projects/_/buckets/${t.bucket}/objects/${t.key}`,
        data: {
          ...googleSample.data,
          bucket: t.bucket,
          name: t.key,
          id: `${t.bucket}/${t.key}/${t.generation}`,
        },
      }),
      headers: { 'content-type': 'application/cloudevents+json' },
    }),
    expect: ROUTED,
  },
  {
    name: "1st-gen background event google.storage.object.finalize (Google's documented sample)",
    carrier: 'message',
    project: 'samples',
    bucket: 'some-bucket',
    key: (entry) => `folder/Legacy-${entry}.cs`,
    generation: '1587627537231057',
    formats: ['gcs-background'],
    build: (t) => ({
      body: JSON.stringify({
        context: {
          ...googleLegacySample.context,
          resource: {
            ...googleLegacySample.context.resource,
            name: `projects/_/buckets/${t.bucket}/objects/${t.key}`,
          },
        },
        data: {
          ...googleLegacySample.data,
          bucket: t.bucket,
          name: t.key,
          id: `${t.bucket}/${t.key}/${t.generation}`,
        },
      }),
      headers: JSON_TYPE,
    }),
    expect: ROUTED,
  },
  {
    name: 'S3 event notification (S3 → SQS, S3 → Lambda)',
    carrier: 'message',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('s3'),
    generation: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
    formats: ['s3'],
    build: (t) => ({ body: JSON.stringify(s3Event(t)), headers: JSON_TYPE }),
    expect: ROUTED,
  },
  {
    name: 'S3 event notification via SNS',
    carrier: 'message',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('s3-sns'),
    generation: 'FkN8Ss6dr4hNqfCNu8dNT1jGZ5l3UUfb',
    formats: ['sns', 's3'],
    build: (t) => {
      const envelope = snsEnvelope(s3Event(t));
      return {
        body: JSON.stringify(envelope),
        headers: {
          'content-type': 'text/plain; charset=UTF-8',
          'x-amz-sns-message-type': 'Notification',
          'x-amz-sns-message-id': String(envelope.MessageId),
          'x-amz-sns-topic-arn': String(envelope.TopicArn),
        },
        lambdaEvent: {
          Records: [
            {
              EventSource: 'aws:sns',
              EventVersion: '1.0',
              EventSubscriptionArn: `${String(envelope.TopicArn)}:c9135db0-26c4-47ec-8998-413945fb5a96`,
              Sns: {
                Type: envelope.Type,
                MessageId: envelope.MessageId,
                TopicArn: envelope.TopicArn,
                Subject: envelope.Subject,
                Message: envelope.Message,
                Timestamp: envelope.Timestamp,
                SignatureVersion: '1',
                Signature: envelope.Signature,
                SigningCertUrl: envelope.SigningCertURL,
                UnsubscribeUrl: envelope.UnsubscribeURL,
                MessageAttributes: {},
              },
            },
          ],
        },
      };
    },
    expect: ROUTED,
  },
  {
    name: "S3 event via EventBridge ('Object Created')",
    carrier: 'message',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('eventbridge'),
    generation: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
    formats: ['eventbridge'],
    build: (t) => ({
      body: JSON.stringify({
        ...eventBridgeFixture,
        resources: [`arn:aws:s3:::${t.bucket}`],
        detail: {
          ...eventBridgeFixture.detail,
          bucket: { name: t.bucket },
          object: {
            ...(eventBridgeFixture.detail.object as Record<string, unknown>),
            key: s3Key(t.key),
            'version-id': t.generation,
          },
        },
      }),
      headers: JSON_TYPE,
    }),
    expect: ROUTED,
  },
  {
    name: 'S3 event notification in a Pub/Sub push (a bridge)',
    carrier: 'message',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('s3-pubsub'),
    generation: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
    formats: ['pubsub', 's3'],
    build: (t) => ({
      body: JSON.stringify(pushEnvelope({ source: 'aws-s3-bridge' }, s3Event(t))),
      headers: JSON_TYPE,
    }),
    expect: ROUTED,
  },
  {
    name: 'GCS OBJECT_DELETE notification (Pub/Sub push): ignored, not routed',
    carrier: 'message',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('gcs-delete'),
    generation: '1714979292000003',
    build: (t) => ({
      body: JSON.stringify(pushEnvelope(gcsAttributes(t, 'OBJECT_DELETE'), gcsObject(t))),
      headers: JSON_TYPE,
    }),
    expect: { kind: 'ignored', reason: /^GCS event type OBJECT_DELETE is not routed$/ },
  },
  {
    name: 'S3 test event: ignored, not routed',
    carrier: 'message',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('s3-test'),
    generation: '',
    build: (t) => ({
      body: JSON.stringify({
        Service: 'Amazon S3',
        Event: 's3:TestEvent',
        Time: '2024-05-06T07:00:00.000Z',
        Bucket: t.bucket,
        RequestId: '5582815E1AEA5ADF',
        HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE',
      }),
      headers: JSON_TYPE,
    }),
    expect: { kind: 'ignored', reason: /^S3 test event for bucket raw_data$/ },
  },
  {
    name: 'SNS subscription confirmation: ignored, its URL never fetched',
    carrier: 'message',
    project: 'source_bucket',
    bucket: 'raw_data',
    key: csv('sns-confirmation'),
    generation: '',
    build: () => ({
      body: JSON.stringify(snsConfirmation),
      headers: { 'content-type': 'text/plain; charset=UTF-8' },
    }),
    expect: {
      kind: 'ignored',
      reason: /^SNS subscription confirmation for .*: confirm it by visiting SubscribeURL$/,
    },
  },
  {
    name: "Eventarc's documented Cloud Storage sample, whose BUCKET_NAME placeholder GCS would refuse",
    carrier: 'message',
    project: 'source_bucket',
    bucket: 'BUCKET_NAME',
    key: (entry) => `notif/placeholder ${entry}.csv`,
    generation: '1587627537231057',
    build: (t) => {
      const attributes: Record<string, string> = {};
      for (const [name, value] of Object.entries(eventarcPlaceholder.headers))
        if (name.startsWith('ce-')) attributes[name.slice(3)] = value;
      return {
        body: JSON.stringify({
          ...attributes,
          subject: `objects/${t.key}`,
          datacontenttype: 'application/json',
          data: { ...eventarcPlaceholder.body, name: t.key },
        }),
        headers: { 'content-type': 'application/cloudevents+json' },
      };
    },
    expect: {
      kind: 'invalid',
      message:
        /data\.bucket names "BUCKET_NAME", not a Cloud Storage bucket name: a bucket name holds only lowercase letters, digits/,
    },
  },
];
