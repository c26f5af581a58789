import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHttpPayload } from '../../src/events/http-payload.js';
import { CSV, fixture, openBed, type Bed } from './harness.js';

interface FormatCase {
  fixture: string;
  /** Formats the parser reports, outermost first. */
  formats: string[];
  source: string;
  destination: string;
  generation?: string;
  headers?: (f: Record<string, unknown>) => Record<string, string>;
  body?: (f: Record<string, unknown>) => unknown;
}

const binaryHeaders = (f: Record<string, unknown>) => f.headers as Record<string, string>;

/** One row per documented format: each fixture routes its own file. */
const CASES: FormatCase[] = [
  {
    fixture: 'gcs-cloudevent-binary.json',
    formats: ['cloudevent-binary'],
    headers: binaryHeaders,
    body: (f) => f.body,
    source: 'source_bucket/raw_data/finance_2024-01.csv',
    destination: 'finance/raw_data/finance_2024-01.csv',
    generation: '1714979289123456',
  },
  {
    fixture: 'gcs-cloudevent-structured.json',
    formats: ['cloudevent-structured'],
    headers: () => ({ 'content-type': 'application/cloudevents+json; charset=utf-8' }),
    source: 'source_bucket/raw_data/emea/q1/finance report 2024.csv',
    destination: 'finance/raw_data/finance report 2024.csv',
    generation: '1714979290000001',
  },
  {
    fixture: 'gcs-pubsub-push.json',
    formats: ['pubsub', 'gcs-notification'],
    source: 'source_bucket/raw_data/sale_fr_2024-05.csv',
    destination: 'sales/raw_data/sale_fr_2024-05.csv',
    generation: '1714979291000002',
  },
  {
    fixture: 'gcs-pubsub-object-finalize.json',
    formats: ['pubsub', 'gcs-notification'],
    source: 'landing/landing-eu/sales/2024/sale fr.csv',
    destination: 'sales/raw_data/sale fr.csv',
    generation: '1714979289123456',
  },
  {
    fixture: 'pubsub-push-cloudevent.json',
    formats: ['pubsub', 'cloudevent-binary'],
    source: 'source_bucket/raw_data/finance_2024-02.csv',
    destination: 'finance/raw_data/finance_2024-02.csv',
    generation: '1714979293000004',
  },
  {
    fixture: 'pubsub-push-s3.json',
    formats: ['pubsub', 's3'],
    source: 'source_bucket/raw_data/sale_de.csv',
    destination: 'sales/raw_data/sale_de.csv',
    generation: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
  },
  {
    fixture: 's3-object-created.json',
    formats: ['s3'],
    source: 'landing/landing-eu/sales/2024/sale fr été +1.csv',
    destination: 'sales/raw_data/sale fr été +1.csv',
    generation: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
  },
  {
    fixture: 's3-object-created-seed.json',
    formats: ['s3'],
    source: 'source_bucket/raw_data/sales by region/sale us+eu.csv',
    destination: 'sales/raw_data/sale us+eu.csv',
    generation: 'Ri.vC6qVlA4dEnjgRV4ZHsHoFIjqEMNt',
  },
  {
    fixture: 'sns-s3-notification.json',
    formats: ['sns', 's3'],
    headers: () => ({
      'content-type': 'text/plain; charset=UTF-8',
      'x-amz-sns-message-type': 'Notification',
      'x-amz-sns-message-id': '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
      'x-amz-sns-topic-arn': 'arn:aws:sns:eu-west-3:123456789012:raw-data-events',
    }),
    source: 'source_bucket/raw_data/finance_q3.csv',
    destination: 'finance/raw_data/finance_q3.csv',
    generation: 'FkN8Ss6dr4hNqfCNu8dNT1jGZ5l3UUfb',
  },
  {
    fixture: 'eventbridge-object-created.json',
    formats: ['eventbridge'],
    source: 'source_bucket/raw_data/sale_it 2024.csv',
    destination: 'sales/raw_data/sale_it 2024.csv',
    generation: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
  },
  {
    fixture: 'eventarc-pubsub-gcs.json',
    formats: ['cloudevent-structured', 'pubsub', 'gcs-notification'],
    source: 'source_bucket/raw_data/finance_2024-03.csv',
    destination: 'finance/raw_data/finance_2024-03.csv',
    generation: '1714979298000009',
  },
];

const header = (headers: Record<string, string>) => (name: string) =>
  Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

describe('notification formats (fixtures shaped as Google and AWS document them)', () => {
  for (const c of CASES) {
    it(`parses ${c.fixture} as ${c.formats.join(' > ')}`, async () => {
      const f = await fixture(c.fixture);
      const headers = { 'content-type': 'application/json', ...(c.headers?.(f) ?? {}) };
      const parse = parseHttpPayload({
        header: header(headers),
        body: JSON.stringify(c.body ? c.body(f) : f),
      });
      expect(parse.formats).toEqual(c.formats);
      expect(parse.events).toHaveLength(1);
      const [, bucket, ...key] = c.source.split('/');
      expect(parse.events[0]).toMatchObject({ bucket, key: key.join('/'), generation: c.generation });
    });
  }
});

describe('POST /events routes the file each fixture names', () => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await openBed();
  });
  afterAll(async () => bed?.close());

  for (const c of CASES) {
    it(`${c.fixture}: ${c.source} → ${c.destination}`, async () => {
      await bed.ws.put(c.source, CSV);
      const f = await fixture(c.fixture);
      const answer = await bed.post((c.body ? c.body(f) : f) as object, c.headers?.(f) ?? {});
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      expect(answer.json).toMatchObject({ outcome: 'routed', formats: c.formats });
      expect(answer.json.events?.[0]?.deliveries?.[0]).toMatchObject({
        destination: c.destination,
        state: 'done',
      });
      expect((await bed.ws.read(c.destination)).toString()).toBe(CSV);
      expect(await bed.ws.exists(c.source)).toBe(false);
    });
  }

  it('acknowledges an SNS subscription confirmation without fetching it (200, ignored)', async () => {
    const answer = await bed.post(await fixture('sns-subscription-confirmation.json'), {
      'content-type': 'text/plain; charset=UTF-8',
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ outcome: 'ignored', formats: ['sns'], events: [] });
    expect(String((answer.json.ignored as string[])[0])).toMatch(/SubscribeURL/);
  });

  it('acknowledges a GCS OBJECT_DELETE push without routing (200, ignored)', async () => {
    await bed.ws.put('source_bucket/raw_data/sale_fr_2024-04.csv', CSV);
    const answer = await bed.post(await fixture('gcs-pubsub-push-delete.json'));
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ outcome: 'ignored', events: [] });
    expect(await bed.ws.exists('source_bucket/raw_data/sale_fr_2024-04.csv')).toBe(true);
  });
});
