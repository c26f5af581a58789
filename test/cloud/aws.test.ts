import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../helpers/workspace.js';
import { CSV, fixture } from '../http/harness.js';
import { cloudWorkspace, holdDelivery } from './env.js';

type Handler = (event: unknown) => Promise<unknown>;

describe('AWS Lambda handler', () => {
  let ws: Workspace;
  let handler: Handler;
  let closeRuntime: () => Promise<void>;

  beforeAll(async () => {
    ws = await cloudWorkspace();
    const aws = await import('../../src/triggers/cloud/aws.js');
    handler = aws.handler;
    closeRuntime = aws.closeAwsRuntime;
  });
  afterAll(async () => {
    await closeRuntime?.();
    await ws?.remove();
  });

  it('routes an S3 event notification (S3 → Lambda), URL-encoded key included', async () => {
    await ws.put('source_bucket/raw_data/sales by region/sale us+eu.csv', CSV);
    const result = (await handler(await fixture('s3-object-created-seed.json'))) as {
      kind: string;
      events: Array<{ outcome: string }>;
    };
    expect(result).toMatchObject({ kind: 'ok', events: [{ outcome: 'routed' }] });
    expect((await ws.read('sales/raw_data/sale us+eu.csv')).toString()).toBe(CSV);
    expect(await ws.exists('source_bucket/raw_data/sales by region/sale us+eu.csv')).toBe(false);
  });

  it('routes the shared S3 fixture (another bucket of the referential)', async () => {
    await ws.put('landing/landing-eu/sales/2024/sale fr été +1.csv', CSV);
    await handler(await fixture('s3-object-created.json'));
    expect(await ws.exists('sales/raw_data/sale fr été +1.csv')).toBe(true);
  });

  it('routes SQS-wrapped S3 events and acknowledges the S3 test event (no batch item failures)', async () => {
    await ws.put('source_bucket/raw_data/sale_es.csv', CSV);
    const result = await handler(await fixture('sqs-s3-event.json'));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await ws.exists('sales/raw_data/sale_es.csv')).toBe(true);
    expect(await handler(await fixture('sqs-s3-event.json'))).toEqual({ batchItemFailures: [] });
    expect((await ws.files()).filter((f) => f.endsWith('sale_es.csv'))).toEqual([
      'sales/raw_data/sale_es.csv',
    ]);
  });

  it('routes an event switchyard itself queued on SQS (`switchyard enqueue`, batch mode)', async () => {
    await ws.put('source_bucket/raw_data/finance_enqueued.csv', CSV);
    const body = JSON.stringify({
      origin: 'manual',
      project: 'source_bucket',
      bucket: 'raw_data',
      key: 'finance_enqueued.csv',
    });
    const result = await handler({
      Records: [
        {
          messageId: 'm-sw',
          receiptHandle: 'rh',
          body,
          attributes: {},
          messageAttributes: {},
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:eu-west-3:123456789012:q',
          awsRegion: 'eu-west-3',
        },
      ],
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await ws.exists('finance/raw_data/finance_enqueued.csv')).toBe(true);
  });

  it('reports only the SQS record to retry; a malformed record is acknowledged', async () => {
    await ws.put('source_bucket/raw_data/finance_busy.csv', CSV);
    await ws.put('source_bucket/raw_data/finance_ok.csv', CSV);
    const release = await holdDelivery(ws, 'finance_busy.csv', 'finance', 'row-1');
    const s3 = (key: string) => ({
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          eventTime: '2024-05-06T07:08:09.000Z',
          s3: { bucket: { name: 'raw_data' }, object: { key, size: 15 } },
        },
      ],
    });
    const record = (messageId: string, body: string) => ({
      messageId,
      receiptHandle: 'rh',
      body,
      attributes: {},
      messageAttributes: {},
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-3:123456789012:q',
      awsRegion: 'eu-west-3',
    });
    const result = await handler({
      Records: [
        record('m-busy', JSON.stringify(s3('finance_busy.csv'))),
        record('m-bad', '{not json'),
        record('m-ok', JSON.stringify(s3('finance_ok.csv'))),
      ],
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-busy' }] });
    expect(await ws.exists('finance/raw_data/finance_ok.csv')).toBe(true);
    expect(await ws.exists('source_bucket/raw_data/finance_busy.csv')).toBe(true);

    await expect(handler(s3('finance_busy.csv'))).rejects.toMatchObject({
      code: 'E_BACKEND',
      transient: true,
    });
    await release();
    expect(await handler(s3('finance_busy.csv'))).toMatchObject({
      kind: 'ok',
      events: [{ outcome: 'routed' }],
    });
  });

  it('routes SNS records (S3 → SNS → Lambda) and EventBridge events', async () => {
    await ws.put('source_bucket/raw_data/finance_q3.csv', CSV);
    const sns = await fixture<Record<string, unknown>>('sns-s3-notification.json');
    const records = {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn:
            'arn:aws:sns:eu-west-3:123456789012:raw-data-events:c9135db0-26c4-47ec-8998-413945fb5a96',
          Sns: {
            Type: 'Notification',
            MessageId: sns.MessageId,
            TopicArn: sns.TopicArn,
            Subject: sns.Subject,
            Message: sns.Message,
            Timestamp: sns.Timestamp,
            SignatureVersion: '1',
            Signature: sns.Signature,
            SigningCertUrl: sns.SigningCertURL,
            UnsubscribeUrl: sns.UnsubscribeURL,
            MessageAttributes: {},
          },
        },
      ],
    };
    await handler(records);
    expect(await ws.exists('finance/raw_data/finance_q3.csv')).toBe(true);

    await ws.put('source_bucket/raw_data/sale_it 2024.csv', CSV);
    expect(await handler(await fixture('eventbridge-object-created.json'))).toMatchObject({
      kind: 'ok',
      events: [{ outcome: 'routed' }],
    });
    expect(await ws.exists('sales/raw_data/sale_it 2024.csv')).toBe(true);
  });

  it('acknowledges an unsafe key without retrying (recorded dead), and writes nothing outside a bucket', async () => {
    const result = await handler({
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'raw_data' }, object: { key: '..%2F..%2Ffinance.csv', size: 1 } },
        },
      ],
    });
    expect(result).toMatchObject({ kind: 'rejected', error: { code: 'E_KEY_UNSAFE' } });
    for (const file of await ws.files())
      expect(/^(source_bucket|finance|sales|landing)\/(raw_data|landing-eu)\//.test(file), file).toBe(true);
  });
});
