import { readFile } from 'node:fs/promises';

/**
 * The notifications of the format table, built for a given object from the
 * samples of test/fixtures/events (shaped as Google and AWS document them),
 * so that each cell of the table names a file of its own.
 */

/** The object a cell's notification names. */
export interface Target {
  bucket: string;
  key: string;
  generation: string;
}

async function fixture<T = Record<string, unknown>>(name: string): Promise<T> {
  return JSON.parse(await readFile(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8')) as T;
}

export const JSON_TYPE = { 'content-type': 'application/json' };
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

/** A key as S3 writes it in notifications: URL-encoded, `+` for a space. */
export function s3Key(key: string): string {
  return key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
    .join('/');
}

/** A JSON_API_V1 object resource, as GCS puts it in notifications and CloudEvents. */
export function gcsObject(t: Target): Record<string, unknown> {
  const escaped = encodeURIComponent(t.key);
  return {
    kind: 'storage#object',
    id: `${t.bucket}/${t.key}/${t.generation}`,
    selfLink: `https://www.googleapis.com/storage/v1/b/${t.bucket}/o/${escaped}`,
    mediaLink: `https://storage.googleapis.com/download/storage/v1/b/${t.bucket}/o/${escaped}?generation=${t.generation}&alt=media`,
    name: t.key,
    bucket: t.bucket,
    generation: t.generation,
    metageneration: '1',
    contentType: 'text/csv',
    timeCreated: '2024-05-06T07:08:11.000Z',
    updated: '2024-05-06T07:08:11.000Z',
    storageClass: 'STANDARD',
    timeStorageClassUpdated: '2024-05-06T07:08:11.000Z',
    size: '15',
    md5Hash: 'nt6PC7zRMC4rC4ZpNJGsug==',
    crc32c: 'zBufVg==',
    etag: 'CJ/CrfuFk4YDEAE=',
  };
}

/** The attributes GCS sets on a notification. */
export function gcsAttributes(t: Target, eventType = 'OBJECT_FINALIZE'): Record<string, string> {
  return {
    bucketId: t.bucket,
    eventTime: '2024-05-06T07:08:11.000002Z',
    eventType,
    notificationConfig: `projects/_/buckets/${t.bucket}/notificationConfigs/7`,
    objectGeneration: t.generation,
    objectId: t.key,
    payloadFormat: 'JSON_API_V1',
  };
}

/** A Pub/Sub push request body (the wrapped form). */
export function pushEnvelope(attributes: Record<string, string>, data: unknown): Record<string, unknown> {
  return {
    message: {
      attributes,
      data: b64(data),
      messageId: '10515153848923700',
      message_id: '10515153848923700',
      publishTime: '2024-05-06T07:08:11.456Z',
      publish_time: '2024-05-06T07:08:11.456Z',
    },
    subscription: 'projects/source-bucket-prod/subscriptions/raw-data-switchyard',
  };
}

/** A Cloud Storage CloudEvent's attributes, as Eventarc sends them. */
export function storageCloudEvent(t: Target, id: string): Record<string, string> {
  return {
    specversion: '1.0',
    id,
    source: `//storage.googleapis.com/projects/_/buckets/${t.bucket}`,
    type: 'google.cloud.storage.object.v1.finalized',
    subject: `objects/${t.key}`,
    time: '2024-05-06T07:08:10.000001Z',
  };
}

export const s3Fixture = await fixture<{
  Records: Array<Record<string, unknown> & { s3: Record<string, unknown> }>;
}>('s3-object-created.json');
export const snsFixture = await fixture('sns-s3-notification.json');
export const eventBridgeFixture = await fixture<
  Record<string, unknown> & { detail: Record<string, unknown> }
>('eventbridge-object-created.json');
export const eventarcFixture = await fixture<Record<string, unknown>>('eventarc-pubsub-gcs.json');
export const googleSample = await fixture<Record<string, unknown> & { data: Record<string, unknown> }>(
  'google-storage-cloudevent-sample.json',
);
export const googleLegacySample = await fixture<{
  context: Record<string, unknown> & { resource: Record<string, unknown> };
  data: Record<string, unknown>;
}>('google-storage-background-sample.json');
export const snsConfirmation = await fixture('sns-subscription-confirmation.json');
export const eventarcPlaceholder = await fixture<{
  headers: Record<string, string>;
  body: Record<string, unknown>;
}>('eventarc-storage-placeholder-sample.json');

/** An S3 event notification for the target (AWS's documented record, S3-encoded key). */
export function s3Event(t: Target): Record<string, unknown> {
  const [record] = s3Fixture.Records;
  const s3 = record!.s3 as { bucket: Record<string, unknown>; object: Record<string, unknown> };
  return {
    Records: [
      {
        ...record,
        s3: {
          ...s3,
          bucket: { ...s3.bucket, name: t.bucket, arn: `arn:aws:s3:::${t.bucket}` },
          object: { ...s3.object, key: s3Key(t.key), size: 15, versionId: t.generation },
        },
      },
    ],
  };
}

export function snsEnvelope(message: unknown): Record<string, unknown> {
  return { ...snsFixture, Message: JSON.stringify(message) };
}
