import { TOKEN } from './harness.js';

/** The body limit of the corpus server; the oversized rows exceed it. */
export const LIMIT = 64 * 1024;

export interface Row {
  name: string;
  body: string | Buffer | object;
  headers?: Record<string, string>;
  path?: string;
  method?: string;
  /** Sent with chunked transfer encoding (no Content-Length). */
  chunked?: boolean;
  status: number;
  /** Expected `error.code`; absent for 2xx answers. */
  code?: string;
  outcome?: string;
}

export const s3 = (key: string, overrides: Record<string, unknown> = {}, bucket: unknown = 'raw_data') => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-3',
      eventTime: '2024-05-06T07:08:09.000Z',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: bucket, arn: 'arn:aws:s3:::raw_data' },
        object: { key, size: 15, eTag: 'abc', sequencer: '01' },
      },
      ...overrides,
    },
  ],
});
const push = (attributes: Record<string, unknown>, data?: unknown) => ({
  message: {
    attributes,
    ...(data !== undefined ? { data } : {}),
    messageId: '1',
    publishTime: '2024-05-06T07:08:09Z',
  },
  subscription: 'projects/p/subscriptions/s',
});
const gcsAttrs = (objectId: string, eventType = 'OBJECT_FINALIZE') => ({
  bucketId: 'raw_data',
  objectId,
  eventType,
  payloadFormat: 'NONE',
  objectGeneration: '1',
});
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');
const ce = (name: unknown, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: 'ce-1',
  source: '//storage.googleapis.com/projects/_/buckets/raw_data',
  type: 'google.cloud.storage.object.v1.finalized',
  subject: `objects/${String(name)}`,
  time: '2024-05-06T07:08:09Z',
  data: { bucket: 'raw_data', name, generation: '1', size: '15' },
  ...extra,
});
const STRUCTURED = { 'content-type': 'application/cloudevents+json' };
const binary = (headers: Record<string, string>) => ({
  'ce-specversion': '1.0',
  'ce-id': 'b-1',
  'ce-source': '//storage.googleapis.com/projects/_/buckets/raw_data',
  'ce-type': 'google.cloud.storage.object.v1.finalized',
  'ce-subject': 'objects/finance_x.csv',
  ...headers,
});
const sns = (fields: Record<string, unknown>) => ({
  Type: 'Notification',
  MessageId: 'm-1',
  TopicArn: 'arn:aws:sns:eu-west-3:123456789012:t',
  Timestamp: '2024-05-06T07:08:09Z',
  ...fields,
});
const eventBridge = (fields: Record<string, unknown>) => ({
  version: '0',
  id: 'eb-1',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  time: '2024-05-06T07:08:09Z',
  detail: { bucket: { name: 'raw_data' }, object: { key: 'finance_eb.csv', size: 15 } },
  ...fields,
});
let nested: unknown = s3('finance_deep.csv');
for (let i = 0; i < 6; i++) nested = sns({ Message: JSON.stringify(nested) });

/** The documented answer to each malformed or hostile request. */
export const CORPUS: Row[] = [
  { name: 'bad JSON', body: '{"Records": [', status: 400, code: 'E_EVENT_INVALID' },
  { name: 'empty body', body: '', status: 400, code: 'E_EVENT_INVALID' },
  { name: 'JSON array', body: '[]', status: 400, code: 'E_EVENT_INVALID' },
  { name: 'JSON string', body: '"finance.csv"', status: 400, code: 'E_EVENT_INVALID' },
  { name: 'JSON null', body: 'null', status: 400, code: 'E_EVENT_INVALID' },
  {
    name: 'unrecognized object',
    body: { bucket: 'raw_data', key: 'finance.csv' },
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'invalid UTF-8 bytes',
    body: Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0x80, 0x22, 0x7d]),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'deeply nested arrays',
    body: `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  { name: 'S3: Records is not an array', body: { Records: {} }, status: 400, code: 'E_EVENT_INVALID' },
  {
    name: 'S3: record without s3',
    body: { Records: [{ eventName: 'ObjectCreated:Put' }] },
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'S3: bucket name is a number',
    body: s3('finance.csv', {}, 42),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'S3: key is not URL-encoded',
    body: s3('finance%E0%A4%A.csv'),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'S3: negative size',
    body: s3('finance.csv', {
      s3: { bucket: { name: 'raw_data' }, object: { key: 'finance.csv', size: -1 } },
    }),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  { name: 'S3: ../ key', body: s3('..%2F..%2Fetc%2Fpasswd_finance.csv'), status: 400, code: 'E_KEY_UNSAFE' },
  {
    name: 'S3: ../ segment mid-key',
    body: s3('a%2F..%2F..%2Ffinance.csv'),
    status: 400,
    code: 'E_KEY_UNSAFE',
  },
  { name: 'S3: absolute key', body: s3('%2Fetc%2Ffinance.csv'), status: 400, code: 'E_KEY_UNSAFE' },
  { name: 'S3: NUL in key', body: s3('finance%00.csv'), status: 400, code: 'E_KEY_UNSAFE' },
  {
    name: 'S3: control character in key',
    body: s3('%1B%5B31mfinance.csv'),
    status: 400,
    code: 'E_KEY_UNSAFE',
  },
  { name: 'S3: newline in key', body: s3('finance%0A.csv'), status: 400, code: 'E_KEY_UNSAFE' },
  {
    name: 'S3: 2,000-character name',
    body: s3(`finance_${'x'.repeat(1992)}.csv`),
    status: 400,
    code: 'E_KEY_UNSAFE',
  },
  {
    name: 'S3: bucket that escapes',
    body: s3('finance.csv', {}, '../finance'),
    status: 400,
    code: 'E_KEY_UNSAFE',
  },
  {
    name: 'S3: ObjectRemoved is ignored',
    body: s3('finance.csv', { eventName: 'ObjectRemoved:Delete' }),
    status: 200,
    outcome: 'ignored',
  },
  {
    name: 'S3: test event is ignored',
    body: { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'raw_data' },
    status: 200,
    outcome: 'ignored',
  },
  {
    name: 'S3: unknown event name is ignored',
    body: s3('finance.csv', { eventName: 'Bogus:Event' }),
    status: 200,
    outcome: 'ignored',
  },
  {
    name: 'S3: bucket no row uses',
    body: s3('finance.csv', {}, 'nobody-uses-this'),
    status: 400,
    code: 'E_BUCKET_UNKNOWN',
  },
  {
    name: 'S3: bucket two projects share',
    body: s3('x.csv', {}, 'shared'),
    status: 400,
    code: 'E_BUCKET_AMBIGUOUS',
  },
  {
    name: 'Pub/Sub: data is base64 garbage',
    body: push({ source: 'x' }, '!!not*base64**'),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'Pub/Sub: truncated base64',
    body: push({ source: 'x' }, 'eyJ'),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'Pub/Sub: GCS data is not JSON',
    body: push({ ...gcsAttrs('finance.csv'), payloadFormat: 'JSON_API_V1' }, b64('not json')),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'Pub/Sub: attribute of the wrong type',
    body: push({ ...gcsAttrs('finance.csv'), objectGeneration: 7 }),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'Pub/Sub: data of the wrong type',
    body: push({ source: 'x' }, 12),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'Pub/Sub: no data, not a GCS notification',
    body: push({ source: 'x' }),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'Pub/Sub: OBJECT_DELETE is ignored',
    body: push(gcsAttrs('finance.csv', 'OBJECT_DELETE')),
    status: 200,
    outcome: 'ignored',
  },
  {
    name: 'Pub/Sub: OBJECT_METADATA_UPDATE is ignored',
    body: push(gcsAttrs('finance.csv', 'OBJECT_METADATA_UPDATE')),
    status: 200,
    outcome: 'ignored',
  },
  {
    name: 'Pub/Sub: ../ objectId',
    body: push(gcsAttrs('../../finance.csv')),
    status: 400,
    code: 'E_KEY_UNSAFE',
  },
  {
    name: 'CloudEvent binary: no ce-id',
    body: { name: 'finance_x.csv', bucket: 'raw_data' },
    headers: binary({ 'ce-id': '' }),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'CloudEvent binary: specversion 0.3',
    body: { name: 'finance_x.csv' },
    headers: binary({ 'ce-specversion': '0.3' }),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'CloudEvent binary: body is not JSON',
    body: 'name=finance_x.csv',
    headers: binary({}),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'CloudEvent binary: text/plain data',
    body: 'finance_x.csv',
    headers: binary({ 'content-type': 'text/plain' }),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'CloudEvent: name of the wrong type',
    body: ce(12),
    headers: STRUCTURED,
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'CloudEvent: data.bucket differs from source',
    body: ce('finance_x.csv', { data: { bucket: 'sales', name: 'finance_x.csv' } }),
    headers: STRUCTURED,
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'CloudEvent: subject differs from name',
    body: ce('finance_x.csv', { subject: 'objects/other.csv' }),
    headers: STRUCTURED,
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'CloudEvent: generation is not a number',
    body: ce('finance_x.csv', { data: { name: 'finance_x.csv', generation: 'abc' } }),
    headers: STRUCTURED,
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'CloudEvent: data_base64 garbage',
    body: ce('finance_x.csv', { data: undefined, data_base64: '%%%' }),
    headers: STRUCTURED,
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'CloudEvent: absolute name',
    body: ce('/etc/finance.csv', { subject: undefined }),
    headers: STRUCTURED,
    status: 400,
    code: 'E_KEY_UNSAFE',
  },
  {
    name: 'CloudEvent: deleted is ignored',
    body: ce('finance_x.csv', { type: 'google.cloud.storage.object.v1.deleted' }),
    headers: STRUCTURED,
    status: 200,
    outcome: 'ignored',
  },
  {
    name: 'CloudEvent: unknown type is ignored',
    body: ce('finance_x.csv', { type: 'com.example.unknown' }),
    headers: STRUCTURED,
    status: 200,
    outcome: 'ignored',
  },
  {
    name: 'CloudEvents batch that is not an array',
    body: ce('finance_x.csv'),
    headers: { 'content-type': 'application/cloudevents-batch+json' },
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'SNS: unknown Type',
    body: sns({ Type: 'Bogus', Message: '{}' }),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  { name: 'SNS: Message is not JSON', body: sns({ Message: 'hello' }), status: 400, code: 'E_EVENT_INVALID' },
  { name: 'SNS: no Message', body: sns({}), status: 400, code: 'E_EVENT_INVALID' },
  { name: 'SNS: envelopes nested too deep', body: nested as object, status: 400, code: 'E_EVENT_INVALID' },
  {
    name: 'EventBridge: detail without object',
    body: eventBridge({ detail: { bucket: { name: 'raw_data' } } }),
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'EventBridge: Object Deleted is ignored',
    body: eventBridge({ 'detail-type': 'Object Deleted' }),
    status: 200,
    outcome: 'ignored',
  },
  {
    name: 'EventBridge: another source is ignored',
    body: eventBridge({ source: 'aws.ec2' }),
    status: 200,
    outcome: 'ignored',
  },
  {
    name: 'oversized body (Content-Length)',
    body: 'x'.repeat(LIMIT + 1),
    status: 413,
    code: 'E_BODY_TOO_LARGE',
  },
  {
    name: 'oversized body (chunked)',
    body: `{"pad":"${'x'.repeat(LIMIT * 2)}"}`,
    chunked: true,
    status: 413,
    code: 'E_BODY_TOO_LARGE',
  },
  {
    name: 'wrong token',
    body: s3('finance.csv'),
    headers: { authorization: 'Bearer not-the-token' },
    status: 401,
    code: 'E_UNAUTHORIZED',
  },
  {
    name: 'no Authorization header',
    body: s3('finance.csv'),
    headers: { authorization: '' },
    status: 401,
    code: 'E_UNAUTHORIZED',
  },
  {
    name: 'token prefix only',
    body: s3('finance.csv'),
    headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
    status: 401,
    code: 'E_UNAUTHORIZED',
  },
  {
    name: 'Basic auth, wrong password',
    body: s3('finance.csv'),
    headers: { authorization: `Basic ${b64('sns:nope')}` },
    status: 401,
    code: 'E_UNAUTHORIZED',
  },
  {
    name: 'unknown project in the path',
    body: s3('finance.csv'),
    path: '/events/nobody',
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  {
    name: 'escaping project in the path',
    body: s3('finance.csv'),
    path: '/events/..%2F..',
    status: 400,
    code: 'E_EVENT_INVALID',
  },
  { name: 'GET /events', body: '', method: 'GET', status: 405, code: 'E_METHOD_NOT_ALLOWED' },
  {
    name: 'unknown route',
    body: s3('finance.csv'),
    path: '/events/source_bucket/extra',
    status: 404,
    code: 'E_ROUTE_NOT_FOUND',
  },
];
