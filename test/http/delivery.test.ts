import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryId } from '../../src/ledger/delivery-id.js';
import { CSV, openBed, type Answer, type Bed } from './harness.js';

const s3Event = (key: string, versionId: string, eventName = 'ObjectCreated:Put', bucket = 'raw_data') => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-3',
      eventTime: '2024-05-06T07:08:09.000Z',
      eventName,
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size: 15, versionId, sequencer: '01' },
      },
    },
  ],
});

async function generationOf(bed: Bed, project: string, bucket: string, key: string): Promise<string> {
  const info = await (await bed.ctx.stores.storeFor(project)).stat(bucket, key);
  if (!info) throw new Error(`no ${project}/${bucket}/${key}`);
  return info.generation;
}

async function untilTerminal(send: () => Promise<Answer>): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let attempt = 0; attempt < 50; attempt++) {
    const answer = await send();
    answers.push(answer);
    if (answer.status !== 503) return answers;
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('still 503 after 50 attempts');
}

describe('each event is routed before the answer; duplicates and disorder route the object once', () => {
  let bed: Bed;
  afterEach(async () => bed?.close());

  it('the same event delivered three times routes the object once', async () => {
    bed = await openBed();
    await bed.ws.put('source_bucket/raw_data/finance_dup.csv', CSV);
    const event = s3Event(
      'finance_dup.csv',
      await generationOf(bed, 'source_bucket', 'raw_data', 'finance_dup.csv'),
    );
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await bed.post(event);
      expect(answer.status).toBe(200);
      outcomes.push(String(answer.json.outcome));
    }
    expect(outcomes).toEqual(['routed', 'duplicate', 'duplicate']);
    expect(await bed.ws.files()).toEqual(['finance/raw_data/finance_dup.csv']);
    expect((await bed.ctx.reports.counts()).byState).toMatchObject({ done: 1 });
  });

  it('three copies of an event sent at once route the object once (the others wait with 503 or see a duplicate)', async () => {
    bed = await openBed();
    await bed.ws.put('source_bucket/raw_data/sale_race.csv', CSV);
    const event = s3Event(
      'sale_race.csv',
      await generationOf(bed, 'source_bucket', 'raw_data', 'sale_race.csv'),
    );
    const runs = await Promise.all([0, 1, 2].map(() => untilTerminal(() => bed.post(event))));
    const finals = runs.map((answers) => answers.at(-1)!);
    expect(finals.every((a) => a.status === 200)).toBe(true);
    expect(finals.filter((a) => a.json.outcome === 'routed')).toHaveLength(1);
    expect(await bed.ws.files()).toEqual(['sales/raw_data/sale_race.csv']);
    expect((await bed.ctx.reports.counts()).byState).toMatchObject({ done: 1 });
  });

  it('events out of order (the newer generation first, a removal before a creation) route the object once', async () => {
    bed = await openBed();
    const file = await bed.ws.put('source_bucket/raw_data/finance_order.csv', 'v1\n');
    const first = await generationOf(bed, 'source_bucket', 'raw_data', 'finance_order.csv');
    await writeFile(file, 'version 2\n');
    const second = await generationOf(bed, 'source_bucket', 'raw_data', 'finance_order.csv');
    expect(second).not.toBe(first);

    const removed = await bed.post(s3Event('finance_order.csv', first, 'ObjectRemoved:Delete'));
    expect(removed.json.outcome).toBe('ignored');
    const newer = await bed.post(s3Event('finance_order.csv', second));
    expect(newer.json.outcome).toBe('routed');
    const older = await bed.post(s3Event('finance_order.csv', first));
    expect(older.status).toBe(200);
    expect(older.json.outcome).toBe('gone');
    const again = await bed.post(s3Event('finance_order.csv', second));
    expect(again.json.outcome).toBe('duplicate');

    expect(await bed.ws.files()).toEqual(['finance/raw_data/finance_order.csv']);
    expect((await bed.ws.read('finance/raw_data/finance_order.csv')).toString()).toBe('version 2\n');
    expect((await bed.ctx.reports.counts()).byState).toMatchObject({ done: 1 });
  });

  it('a permanent failure (conflict under on_conflict=fail) answers 200 with the dead outcome; the source is kept', async () => {
    bed = await openBed();
    await bed.ws.put('finance/raw_data/finance_clash.csv', 'other bytes\n');
    await bed.ws.put('source_bucket/raw_data/finance_clash.csv', CSV);
    const answer = await bed.post(s3Event('finance_clash.csv', 'v1'));
    expect(answer.status).toBe(200);
    expect(answer.json.outcome).toBe('dead');
    expect(answer.json.events?.[0]?.deliveries?.[0]).toMatchObject({
      state: 'dead',
      error: { code: 'E_CONFLICT' },
    });
    expect(await bed.ws.exists('source_bucket/raw_data/finance_clash.csv')).toBe(true);
  });

  it('a delivery another worker holds answers 503 with Retry-After; once released the retry routes it', async () => {
    bed = await openBed();
    await bed.ws.put('source_bucket/raw_data/finance_busy.csv', CSV);
    const source = { project: 'source_bucket', bucket: 'raw_data', key: 'finance_busy.csv' };
    const generation = await generationOf(bed, 'source_bucket', 'raw_data', 'finance_busy.csv');
    const route = bed.ctx
      .referential()
      .routes.find((r) => r.sourceBucket === 'raw_data' && r.destinationProject === 'finance')!;
    const id = deliveryId(source, generation, route.id);
    const plan = {
      id,
      source,
      generation,
      routeId: route.id,
      destination: { project: 'finance', bucket: 'raw_data', key: 'finance_busy.csv' },
      action: 'move' as const,
      size: CSV.length,
    };
    expect((await bed.ctx.ledger.claim(plan, 'another-worker', 60_000)).status).toBe('claimed');

    const busy = await bed.post(s3Event('finance_busy.csv', generation));
    expect(busy.status).toBe(503);
    expect(Number(busy.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(busy.json.error?.code).toBe('E_LOCKED');
    expect(await bed.ws.exists('source_bucket/raw_data/finance_busy.csv')).toBe(true);

    await bed.ctx.ledger.release(id, 'another-worker');
    const retried = await bed.post(s3Event('finance_busy.csv', generation));
    expect(retried.status).toBe(200);
    expect(retried.json.outcome).toBe('routed');
  });

  it('a transient failure answers 503 with Retry-After in seconds; a thrown sink error too', async () => {
    bed = await openBed({
      sink: () => async () => ({
        outcome: 'failed',
        retryAfterMs: 2500,
        error: { code: 'E_BACKEND', message: 'flaky' },
      }),
    });
    const failed = await bed.post(s3Event('finance_t.csv', 'v1'));
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('3');
    expect(failed.json.error?.code).toBe('E_BACKEND');
    await bed.close();

    bed = await openBed({
      sink: () => async () => {
        throw new Error('queue unreachable');
      },
    });
    const thrown = await bed.post(s3Event('finance_t.csv', 'v1'));
    expect(thrown.status).toBe(503);
    expect(thrown.headers.get('retry-after')).toBe('1');
  });

  it('batch mode: a queued event answers 202', async () => {
    const seen: string[] = [];
    bed = await openBed({
      sink: () => async (event) => {
        seen.push(`${event.project}/${event.bucket}/${event.key}`);
        return { outcome: 'queued' };
      },
    });
    const answer = await bed.post(s3Event('finance_q.csv', 'v1'));
    expect(answer.status).toBe(202);
    expect(answer.json.outcome).toBe('queued');
    expect(seen).toEqual(['source_bucket/raw_data/finance_q.csv']);
  });

  it('POST /events/<project> names the source project of a bucket two projects share', async () => {
    bed = await openBed();
    await bed.ws.put('beta/shared/x.csv', CSV);
    const answer = await bed.post(s3Event('x.csv', 'v1', 'ObjectCreated:Put', 'shared'), {}, '/beta');
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json.events?.[0]).toMatchObject({ project: 'beta', outcome: 'routed' });
    expect(await bed.ws.files()).toEqual(['sales/raw_data/from-beta/x.csv']);
  });

  it('a file no row matches is recorded unrouted (200) and left in place', async () => {
    bed = await openBed();
    await bed.ws.put('source_bucket/raw_data/notes.txt', 'n');
    const answer = await bed.post(s3Event('notes.txt', 'v1'));
    expect(answer.status).toBe(200);
    expect(answer.json.outcome).toBe('unrouted');
    expect(await bed.ws.exists('source_bucket/raw_data/notes.txt')).toBe(true);
    expect((await bed.ctx.reports.counts()).unrouted).toBe(1);
  });
});
