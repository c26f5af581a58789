// The dashboard's retry of a dead delivery, against the in-memory ledger and a
// sink that records what it is handed (as batch mode's queue sink does): the
// delivery is made due now, as `switchyard dead-letters retry` makes it, and
// its source generation goes to the sink.
import { describe, expect, it } from 'vitest';
import type { ObjectEvent } from '../../src/model/event.js';
import type { EventSink } from '../../src/intake/sink.js';
import { retryDelivery } from '../../src/triggers/http/dashboard/actions.js';
import type { DeliveryPlan, Ledger } from '../../src/ledger/types.js';
import { createMemoryLedger } from '../../src/ledger/memory/ledger.js';
import { silentLogger } from '../../src/util/log.js';

const PLAN: DeliveryPlan = {
  id: 'd-1',
  source: { project: 'shop', bucket: 'landing', key: 'fin_q2.csv' },
  generation: '7',
  routeId: 'finance',
  destination: { project: 'finance', bucket: 'raw', key: 'fin_q2.csv' },
  action: 'move',
  size: 12,
};

async function deadLedger(routeId = PLAN.routeId) {
  let now = 1_000;
  const { ledger } = createMemoryLedger({ now: () => now });
  const claimed = await ledger.claim({ ...PLAN, routeId }, 'worker', 60_000);
  expect(claimed.status).toBe('claimed');
  for (let attempt = 0; attempt < 3; attempt++) {
    now += 10_000;
    expect(await ledger.transition(PLAN.id, 'worker', 'failed', { nextAttemptAt: now + 5_000 })).toBe(true);
    expect((await ledger.claim({ ...PLAN, routeId }, 'worker', 60_000)).status).toBe('backoff');
    now += 5_000;
    expect((await ledger.claim({ ...PLAN, routeId }, 'worker', 60_000)).status).toBe('claimed');
  }
  now += 1_000;
  expect(
    await ledger.transition(PLAN.id, 'worker', 'dead', { errorCode: 'E_CONFLICT', lastError: 'taken' }),
  ).toBe(true);
  return { ledger, at: (ms: number) => (now = ms) };
}

function recordingSink(): { sink: EventSink; events: ObjectEvent[] } {
  const events: ObjectEvent[] = [];
  return {
    events,
    sink: async (event) => {
      events.push(event);
      return { outcome: 'queued' };
    },
  };
}

describe('dashboard retry of a dead delivery', () => {
  it('makes it due now (failed, attempts 0, next attempt now) and hands its source generation to the sink', async () => {
    const { ledger, at } = await deadLedger();
    const { sink, events } = recordingSink();
    at(90_000);

    const answer = await retryDelivery(ledger, sink, PLAN.id, silentLogger());

    expect(answer).toMatchObject({
      outcome: 'queued',
      delivery: { id: PLAN.id, state: 'failed', attempts: 0, timeline: { nextAttempt: 90_000 } },
    });
    expect(events).toEqual([
      { project: 'shop', bucket: 'landing', key: 'fin_q2.csv', generation: '7', origin: 'manual' },
    ]);
    // due now: the drain that takes the queued event claims it instead of finding it in backoff
    expect((await ledger.claim(PLAN, 'drain', 60_000)).status).toBe('claimed');
  });

  it('refuses a delivery that is not dead, or was refused for an unsafe key, and leaves it as it was', async () => {
    const { ledger } = await deadLedger();
    const { sink, events } = recordingSink();
    await retryDelivery(ledger, sink, PLAN.id, silentLogger());
    await expect(retryDelivery(ledger, sink, PLAN.id, silentLogger())).rejects.toMatchObject({
      code: 'E_CONFLICT',
    });
    await expect(retryDelivery(ledger, sink, 'nope', silentLogger())).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });

    const unsafe = await deadLedger('(unsafe-key)');
    await expect(retryDelivery(unsafe.ledger, sink, PLAN.id, silentLogger())).rejects.toMatchObject({
      code: 'E_KEY_UNSAFE',
    });
    expect((await unsafe.ledger.get(PLAN.id))?.state).toBe('dead');
    expect(events).toHaveLength(1);
  });

  it('is a conflict, not a second routing, when the delivery stops being dead before it is revived', async () => {
    const { ledger } = await deadLedger();
    const { sink, events } = recordingSink();
    const racing = Object.create(ledger) as Ledger;
    racing.retryDead = async (ids) => {
      await ledger.retryDead(ids);
      return ledger.retryDead(ids);
    };
    await expect(retryDelivery(racing, sink, PLAN.id, silentLogger())).rejects.toMatchObject({
      code: 'E_CONFLICT',
    });
    expect(events).toEqual([]);
  });
});
