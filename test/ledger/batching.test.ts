// BatchingLedger (ledger/batching.ts): calls made while the event loop is
// busy are written together. The items of one transitionMany call stay
// together, in order, even when the batch fills on the way: a copy's
// `verified` and `done` must not land in two flushes that could run at once.
import { describe, expect, it } from 'vitest';
import { BatchingLedger } from '../../src/ledger/batching.js';
import { createMemoryLedger } from '../../src/ledger/memory/ledger.js';
import type { DeliveryPlan, Ledger, TransitionItem } from '../../src/ledger/types.js';

function plan(id: string): DeliveryPlan {
  return {
    id,
    source: { project: 'land', bucket: 'in', key: `${id}.csv` },
    generation: '1',
    routeId: 'r',
    destination: { project: 'out', bucket: 'raw', key: `${id}.csv` },
    action: 'copy',
    size: 1,
  };
}

/** A memory ledger whose transitionMany calls are kept, each as the ids:states it was given. */
function spied(): { ledger: Ledger; calls: string[][] } {
  const inner = createMemoryLedger().ledger;
  const calls: string[][] = [];
  const transitionMany = inner.transitionMany.bind(inner);
  Object.defineProperty(inner, 'transitionMany', {
    value: (items: TransitionItem[], owner: string) => {
      calls.push(items.map((i) => `${i.id}:${i.state}`));
      return transitionMany(items, owner);
    },
  });
  return { ledger: inner, calls };
}

describe('BatchingLedger', () => {
  it('writes the items of one transitionMany in one call, in order, when the batch fills on the way', async () => {
    const { ledger: inner, calls } = spied();
    const batching = new BatchingLedger(inner, 2);
    await Promise.all(['x', 'a'].map((id) => batching.claim(plan(id), 'me', 60_000)));
    const one = batching.transition('x', 'me', 'verified');
    const pair = batching.transitionMany(
      [
        { id: 'a', state: 'verified' },
        { id: 'a', state: 'done' },
      ],
      'me',
    );
    expect(await one).toBe(true);
    expect(await pair).toEqual([true, true]);
    expect(calls).toEqual([['x:verified', 'a:verified', 'a:done']]);
    expect((await batching.get('a'))?.state).toBe('done');
  });

  it('still answers each call on its own', async () => {
    const { ledger: inner } = spied();
    const batching = new BatchingLedger(inner, 512);
    await batching.claim(plan('b'), 'me', 60_000);
    const answers = await Promise.all([
      batching.transition('b', 'someone else', 'verified'),
      batching.transitionMany([{ id: 'b', state: 'verified' }], 'me'),
    ]);
    expect(answers).toEqual([false, [true]]);
  });
});
