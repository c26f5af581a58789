import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { queueSink } from '../../src/intake/sink.js';
import { drain } from '../../src/drains/batch.js';
import { batchFixture, HEADER, ScriptedQueue, sleep, type BatchFixture } from './helpers.js';

const ROUTES = `${HEADER}
land,in,^ok_,finance,raw,,move,fail,to-finance
land,in,^bad_,broken,raw,incoming,move,fail,to-broken
`;

describe('drain', () => {
  let f: BatchFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it('routes nothing before the drain, then routes 1,000 queued files in one drain', async () => {
    f = await batchFixture(ROUTES);
    const sink = queueSink(f.queue);
    for (let i = 0; i < 1000; i++) {
      const key = `ok_${String(i).padStart(4, '0')}.csv`;
      await f.ws.put(`land/in/${key}`, `row ${i}\n`);
      expect(await sink(f.event(`land/in/${key}`, { origin: 'fs' }))).toEqual({ outcome: 'queued' });
    }
    expect((await readdir(f.ws.file('land/in'))).length).toBe(1000);
    expect(await f.ws.exists('finance/raw')).toBe(false);
    expect(await f.queue.stats()).toMatchObject({ depth: 1000, inFlight: 0, dead: 0 });

    const progress: number[] = [];
    const report = await drain(f.ctx, f.queue, {
      maxBatch: 100,
      concurrency: 8,
      onProgress: (done) => progress.push(done),
    });

    expect(report).toMatchObject({
      routed: 1000,
      failed: 0,
      dead: 0,
      messages: 1000,
      batches: 10,
      acked: 1000,
      nacked: 0,
      stoppedBy: 'empty',
    });
    expect(progress.at(-1)).toBe(1000);
    expect((await readdir(f.ws.file('finance/raw'))).length).toBe(1000);
    expect(await readdir(f.ws.file('land/in'))).toEqual([]);
    expect(await f.queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
    expect((await f.ctx.reports.counts()).byState.done).toBe(1000);
  });

  it('pulls as many messages at a time as it routes at once, unless told otherwise', async () => {
    f = await batchFixture(ROUTES);
    const keys = Array.from({ length: 10 }, (_, i) => `ok_${i}.csv`);
    for (const key of keys) await f.ws.put(`land/in/${key}`, `${key}\n`);
    await f.queue.publish(keys.map((key) => f!.event(`land/in/${key}`, { origin: 'fs' })));
    const pulls: number[] = [];
    const pull = f.queue.pull.bind(f.queue);
    f.queue.pull = async (max, leaseMs, waitMs) => {
      pulls.push(max);
      return pull(max, leaseMs, waitMs);
    };

    const report = await drain(f.ctx, f.queue, { concurrency: 4 });

    expect(report).toMatchObject({ routed: 10, messages: 10, batches: 3, stoppedBy: 'empty' });
    expect(pulls).toEqual([4, 4, 4, 4]);
    expect((await readdir(f.ws.file('finance/raw'))).sort()).toEqual([...keys].sort());
  });

  it('acks a message whose source is gone, and a repeated notification of a routed file: never retried forever', async () => {
    f = await batchFixture(ROUTES);
    await f.ws.put('land/in/ok_1.csv', 'one\n');
    const info = await (await f.ctx.stores.storeFor('land')).stat('in', 'ok_1.csv');
    const routedTwice = f.event('land/in/ok_1.csv', { generation: info!.generation });
    await f.queue.publish([f.event('land/in/ok_never_existed.csv'), routedTwice]);
    const first = await drain(f.ctx, f.queue, {});
    expect(first).toMatchObject({ routed: 1, skipped: 1, acked: 2, nacked: 0, deadLettered: 0 });
    expect(first.outcomes).toEqual({ routed: 1, gone: 1 });

    await f.queue.publish([routedTwice, f.event('land/in/ok_1.csv')]);
    const second = await drain(f.ctx, f.queue, {});
    expect(second).toMatchObject({ routed: 0, skipped: 2, acked: 2, nacked: 0, deadLettered: 0 });
    expect(await f.queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
    expect(await f.ws.files()).toEqual(['finance/raw/ok_1.csv']);
  });

  it('dead-letters malformed messages and unknown buckets, acks ignored ones, nacks a message until all its events are terminal', async () => {
    f = await batchFixture(ROUTES);
    await f.ws.put('broken/raw/incoming', 'a file standing where the folder should be');
    await f.ws.put('land/in/ok_a.csv', 'a\n');
    await f.ws.put('land/in/bad_b.csv', 'b\n');
    await f.ws.put('land/in/ok_c.csv', 'c\n');
    const queue = new ScriptedQueue([
      {
        event: { origin: 'gcs', bucket: '', key: '' },
        malformed: 'queue message is not JSON: Unexpected token',
      },
      { event: { origin: 'gcs', bucket: 'in', key: 'ok_a.csv' }, ignore: 'GCS OBJECT_DELETE notification' },
      { event: { origin: 'manual', bucket: 'nobody-knows', key: 'x.csv' } },
      { event: f.event('land/in/ok_a.csv'), extraEvents: [f.event('land/in/bad_b.csv')], attempts: 2 },
      { event: f.event('land/in/ok_c.csv') },
      { event: f.event('land/in/ok_c.csv') },
    ]);
    const report = await drain(f.ctx, queue, { baseDelayMs: 100, random: () => 1 });

    expect(queue.fates()).toEqual({
      m0: 'deadLetter',
      m1: 'ack',
      m2: 'deadLetter',
      m3: 'nack',
      m4: 'ack',
      m5: 'ack',
    });
    const reasons = queue.calls.filter((c) => c.op === 'deadLetter').map((c) => c.reason);
    expect(reasons[0]).toMatch(/^E_MESSAGE_UNREADABLE: queue message is not JSON/);
    expect(reasons[1]).toMatch(/^E_BUCKET_UNKNOWN: .*nobody-knows/);
    const nack = queue.calls.find((c) => c.op === 'nack');
    expect(nack?.delayMs).toBe(200); // attempt 2, base 100: ceiling 200 with random() = 1
    expect(report).toMatchObject({
      malformed: 1,
      ignored: 1,
      deadLettered: 2,
      nacked: 1,
      acked: 3,
      messages: 6,
    });
    // ok_c.csv was notified twice in one batch: routed once.
    expect(report.outcomes.routed).toBe(2);
    expect(await f.ws.files()).toEqual([
      'broken/raw/incoming',
      'finance/raw/ok_a.csv',
      'finance/raw/ok_c.csv',
      'land/in/bad_b.csv',
    ]);
  });

  it('dead-letters a transient failure once the message spent its attempts, with the last error', async () => {
    f = await batchFixture(ROUTES, { maxAttempts: 10 });
    await f.ws.put('broken/raw/incoming', 'in the way');
    await f.ws.put('land/in/bad_1.csv', '1\n');
    const queue = new ScriptedQueue([{ event: f.event('land/in/bad_1.csv'), attempts: 3 }]);
    const report = await drain(f.ctx, queue, { maxAttempts: 3 });
    expect(queue.fates()).toEqual({ m0: 'deadLetter' });
    expect(queue.calls[0]?.reason).toMatch(/^gave up after 3 attempt\(s\): E_DESTINATION_UNWRITABLE/);
    expect(report).toMatchObject({ failed: 1, dead: 1, deadLettered: 1 });
    expect(await f.ws.exists('land/in/bad_1.csv')).toBe(true);
  });

  it('extends the leases of messages still being worked on', async () => {
    f = await batchFixture(ROUTES);
    await f.ws.put('land/in/ok_slow.csv', 'slow\n');
    const store = f.wrap('land', {});
    const stat = store.stat.bind(store);
    store.stat = async (bucket, key) => {
      await sleep(900);
      return stat(bucket, key);
    };
    const queue = new ScriptedQueue([{ event: f.event('land/in/ok_slow.csv') }]);
    await drain(f.ctx, queue, { leaseMs: 300, recover: false });
    const extends_ = queue.calls.filter((c) => c.op === 'extend');
    expect(extends_.length).toBeGreaterThan(0);
    expect(extends_[0]?.ids).toEqual(['m0']);
    expect(queue.fates()).toEqual({ m0: 'ack' });
  });

  it('stops at the time budget or when aborted, leaving the rest queued', async () => {
    f = await batchFixture(ROUTES);
    await f.queue.publish([f.event('land/in/ok_x.csv'), f.event('land/in/ok_y.csv')]);
    expect(await drain(f.ctx, f.queue, { timeBudgetMs: 0 })).toMatchObject({
      messages: 0,
      stoppedBy: 'time-budget',
    });
    const stop = new AbortController();
    stop.abort();
    expect(await drain(f.ctx, f.queue, { signal: stop.signal })).toMatchObject({
      messages: 0,
      stoppedBy: 'stopped',
    });
    expect(await f.queue.stats()).toMatchObject({ depth: 2 });
    const one = await drain(f.ctx, f.queue, { maxBatch: 1, timeBudgetMs: 1 });
    expect(one.messages).toBeLessThanOrEqual(1);
  });
});
