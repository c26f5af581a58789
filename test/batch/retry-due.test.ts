import { rm } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../src/ledger/url.js';
import type { DeliveryPlan, LedgerStore } from '../../src/ledger/types.js';
import { createMemoryLedger } from '../../src/ledger/memory/ledger.js';
import { drain } from '../../src/drains/batch.js';
import { retryDeadLetters } from '../../src/drains/batch-dead-letters.js';
import { MemoryQueue } from '../../src/queue/memory/queue.js';
import { connectTestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/router-fixture.js';
import { batchFixture, HEADER, type BatchFixture } from './helpers.js';

const ROUTES = `${HEADER}
land,in,\\.csv$,broken,raw,incoming,move,fail,to-broken
`;
const HOUR = 3_600_000;

describe('dead-letters retry after a destination was fixed', () => {
  let f: BatchFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it('makes every delivery the router left in backoff due now: the next batch routes all 30 files', async () => {
    f = await batchFixture(ROUTES, { maxAttempts: 20, baseDelayMs: HOUR, maxDelayMs: HOUR });
    await f.ws.put('broken/raw/incoming', 'a file standing where the destination folder should be');
    const names = Array.from({ length: 30 }, (_, i) => `f${String(i).padStart(2, '0')}.csv`);
    for (const name of names) await f.ws.put(`land/in/${name}`, `content of ${name}\n`);
    await f.queue.publish(names.map((name) => f!.event(`land/in/${name}`)));

    const gaveUp = await drain(f.ctx, f.queue, { maxAttempts: 1 });
    expect(gaveUp).toMatchObject({ messages: 30, deadLettered: 30, routed: 0 });
    expect((await f.ctx.reports.counts()).byState).toMatchObject({ failed: 30, dead: 0, done: 0 });
    const inBackoff = await f.ctx.reports.query({ states: ['failed'], limit: 100 });
    for (const r of inBackoff.items) expect(r.nextAttemptAt).toBeGreaterThan(Date.now() + HOUR / 2);

    await rm(f.ws.file('broken/raw/incoming'));
    const retried = await f.ws.run('dead-letters', 'retry', '--all');
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/queue dead letters put back: 30; deliveries made due again: 30 /);
    const due = await f.ctx.reports.query({ states: ['failed'], limit: 100 });
    expect(due.items).toHaveLength(30);
    for (const r of due.items) {
      expect(r.attempts).toBe(0);
      expect(r.nextAttemptAt).toBeLessThanOrEqual(Date.now());
    }

    const batch = await f.ws.run('batch', '--json');
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.json()).toMatchObject({ routed: 30, failed: 0, dead: 0, deadLettered: 0 });
    expect(await f.ws.files()).toEqual(names.map((n) => `broken/raw/incoming/${n}`));
    expect((await f.ctx.reports.counts()).byState).toMatchObject({ done: 30, failed: 0, dead: 0 });
    expect(await f.queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
  });
});

const pg = await connectTestPostgres();
afterAll(() => pg?.cleanup());

const ledgers: Array<[string, () => Promise<{ store: LedgerStore; remove(): Promise<void> }>]> = [
  ['memory', async () => ({ store: createMemoryLedger(), remove: async () => undefined })],
  [
    'sqlite',
    async () => {
      const dir = await tempDir();
      return { store: await openLedger('sqlite:', { stateDir: dir.dir }), remove: dir.remove };
    },
  ],
];
if (pg) {
  ledgers.push([
    'postgres',
    async () => ({
      store: await openLedger(pg.newUrl(), { stateDir: '/nonexistent' }),
      remove: async () => undefined,
    }),
  ]);
}

function plan(n: number, routeId = 'r1'): DeliveryPlan {
  return {
    id: `d-${n}-${routeId}`,
    source: { project: 'land', bucket: 'in', key: `f${n}.csv` },
    generation: `g${n}`,
    routeId,
    destination: { project: 'fin', bucket: 'raw', key: `f${n}.csv` },
    action: 'move',
    size: 1,
  };
}

describe.each(ledgers)('retryDeadLetters on a %s ledger', (_name, open) => {
  it('makes the failed and dead deliveries of the retried messages due now, counts them, leaves the others alone', async () => {
    const { store, remove } = await open();
    const { ledger } = store;
    const queue = new MemoryQueue();
    try {
      const later = Date.now() + HOUR;
      const fail = async (
        p: DeliveryPlan,
        state: 'failed' | 'dead',
        nextAttemptAt = later,
      ): Promise<void> => {
        expect((await ledger.claim(p, 'w', 60_000)).status).toBe('claimed');
        const patch = { errorCode: 'E_DESTINATION_UNWRITABLE', nextAttemptAt };
        expect(await ledger.transition(p.id, 'w', state, patch)).toBe(true);
      };
      // f1: two routes in backoff; f2: one in backoff (its message stays dead); f3: dead in the ledger too;
      // f4: no project or generation in its message; f5: a delivery another worker holds right now.
      await fail(plan(1), 'failed');
      await fail(plan(1, 'r2'), 'failed');
      await fail(plan(2), 'failed');
      await fail(plan(3), 'dead');
      await fail(plan(4), 'failed');
      await fail(plan(5), 'failed', Date.now() - 1);
      expect((await ledger.claim(plan(5), 'other', 60_000)).status).toBe('claimed');

      await queue.publish([
        { project: 'land', bucket: 'in', key: 'f1.csv', generation: 'g1', origin: 'manual' },
        { project: 'land', bucket: 'in', key: 'f2.csv', generation: 'g2', origin: 'manual' },
        { project: 'land', bucket: 'in', key: 'f4.csv', origin: 'gcs' },
        { project: 'land', bucket: 'in', key: 'f5.csv', generation: 'g5', origin: 'manual' },
      ]);
      for (const m of await queue.pull(10, 60_000)) await queue.deadLetter(m.id, 'gave up');
      const [f1, f2, f4, f5] = await queue.listDeadLetters(10);

      const some = await retryDeadLetters(queue, store, [f1!.id, f4!.id]);
      expect(some).toMatchObject({ queue: 2, ledger: 3, republished: 0 });
      for (const id of [plan(1).id, plan(1, 'r2').id, plan(4).id]) {
        const r = await ledger.get(id);
        expect(r).toMatchObject({ state: 'failed', attempts: 0 });
        expect(r?.nextAttemptAt).toBeLessThanOrEqual(Date.now());
      }
      expect((await ledger.get(plan(2).id))?.nextAttemptAt).toBe(later);
      expect(await queue.listDeadLetters(10)).toEqual([f2, f5]);

      const all = await retryDeadLetters(queue, store);
      // f3 is retried as a dead delivery (and its source re-queued); f2 is made due with its message;
      // f5's message is put back, its delivery left to the worker holding it.
      expect(all).toMatchObject({ queue: 2, ledger: 2, republished: 1 });
      expect(await ledger.get(plan(2).id)).toMatchObject({ state: 'failed', attempts: 0 });
      expect(await ledger.get(plan(3).id)).toMatchObject({ state: 'failed', attempts: 0 });
      expect(await ledger.get(plan(5).id)).toMatchObject({
        state: 'failed',
        attempts: 1,
        claimedBy: 'other',
      });
    } finally {
      await queue.close();
      await store.close();
      await remove();
    }
  });
});
