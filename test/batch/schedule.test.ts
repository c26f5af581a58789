import { afterEach, describe, expect, it } from 'vitest';
import type { ExclusiveDrainResult } from '../../src/drains/batch-run.js';
import { checkSchedule, startBatchSchedule, type BatchSchedule } from '../../src/drains/batch-schedule.js';
import { batchFixture, HEADER, sleep, type BatchFixture } from './helpers.js';

const ROUTES = `${HEADER}
land,in,\\.csv$,finance,raw,,move,fail,to-finance
`;

describe('batch schedule', () => {
  let f: BatchFixture | undefined;
  let schedule: BatchSchedule | undefined;
  afterEach(async () => {
    await schedule?.stop();
    schedule = undefined;
    await f?.close();
    f = undefined;
  });

  it('drains on each tick of a cron schedule', async () => {
    f = await batchFixture(ROUTES);
    for (let i = 0; i < 10; i++) await f.ws.put(`land/in/f${i}.csv`, `${i}\n`);
    await f.queue.publish(Array.from({ length: 10 }, (_, i) => f!.event(`land/in/f${i}.csv`)));
    const results: ExclusiveDrainResult[] = [];
    schedule = startBatchSchedule(f.ctx, f.queue, {
      schedule: '* * * * * *',
      onDrain: (r) => results.push(r),
    });
    expect(schedule.nextRun()).toBeInstanceOf(Date);
    for (let i = 0; i < 100 && results.length === 0; i++) await sleep(50);
    expect(results[0]).toMatchObject({ skipped: false, report: { routed: 10 } });
    expect(await f.queue.stats()).toMatchObject({ depth: 0 });
  });

  it('skips a tick while a drain is still running, and stop() waits for it', async () => {
    f = await batchFixture(ROUTES);
    await f.ws.put('land/in/slow.csv', 'slow\n');
    const store = f.wrap('land', {});
    const stat = store.stat.bind(store);
    let routing: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (routing = resolve));
    store.stat = async (bucket, key) => {
      routing();
      await sleep(300);
      return stat(bucket, key);
    };
    await f.queue.publish([f.event('land/in/slow.csv'), f.event('land/in/later.csv')]);
    schedule = startBatchSchedule(f.ctx, f.queue, { schedule: '0 0 1 1 *', maxBatch: 1 });
    const first = schedule.runNow();
    expect(await schedule.runNow()).toBeUndefined();
    await started;
    await schedule.stop();
    // the batch in hand finished; the next message waits for the next drain
    expect(await first).toMatchObject({
      skipped: false,
      report: { routed: 1, messages: 1, stoppedBy: 'stopped' },
    });
    expect(await f.queue.stats()).toMatchObject({ depth: 1 });
    schedule = undefined;
  });

  it('refuses an invalid schedule, naming it', () => {
    expect(() => checkSchedule('every five minutes')).toThrow(/invalid cron schedule "every five minutes"/);
    expect(() => checkSchedule('*/5 * * * *')).not.toThrow();
  });

  it('refuses an unknown time zone before anything starts (croner would only fail at the first tick)', () => {
    expect(() => checkSchedule('*/5 * * * *', 'Bad/Zone')).toThrow(
      expect.objectContaining({
        code: 'E_CONFIG_INVALID',
        details: expect.objectContaining({ source: '--timezone', timezone: 'Bad/Zone' }),
      }),
    );
    expect(() => checkSchedule('*/5 * * * *', 'Europe/Paris')).not.toThrow();
    expect(() => checkSchedule('*/5 * * * *', 'UTC')).not.toThrow();
  });
});
