// A move by rename on the embedded path: the delivery is held, not claimed in
// the ledger, and its record is written once, `done`, after the destination
// stands and before the source is removed; the audit trail is kept whole by
// that order. A ledger that cannot record keeps the source.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryState, Ledger, TransitionItem, TransitionPatch } from '../../src/ledger/types.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id
land,in,\\.csv$,finance,raw,,move,to-finance
`;

type Transition = (
  id: string,
  owner: string,
  state: DeliveryState,
  patch?: TransitionPatch,
) => Promise<boolean>;

/**
 * Replaces the ledger's transition on the router's ledger object, and its
 * transitionMany (a batch of moves records through it) with one wrapped
 * transition per item, in order.
 */
function interceptTransitions(ledger: Ledger, around: (original: Transition) => Transition): void {
  const transition = around(ledger.transition.bind(ledger));
  Object.defineProperty(ledger, 'transition', { value: transition, configurable: true });
  const transitionMany = async (items: TransitionItem[], owner: string) => {
    const done: boolean[] = [];
    for (const item of items) done.push(await transition(item.id, owner, item.state, item.patch));
    return done;
  };
  Object.defineProperty(ledger, 'transitionMany', { value: transitionMany, configurable: true });
}

describe('router: a move is recorded before its source goes', () => {
  let fx: RouterFixture;
  afterEach(async () => fx?.close());

  it('writes the done record, with its deletion stamp, while the source is still there', async () => {
    fx = await routerFixture(ROUTES);
    await fx.ws.put('land/in/a.csv', 'alpha');
    const seen: { state: DeliveryState; sourceThere: boolean; destinationThere: boolean }[] = [];
    interceptTransitions(fx.ctx.ledger, (original) => async (id, owner, state, patch) => {
      seen.push({
        state,
        sourceThere: existsSync(fx.ws.file('land/in/a.csv')),
        destinationThere: existsSync(fx.ws.file('finance/raw/a.csv')),
      });
      return original(id, owner, state, patch);
    });
    const result = await fx.ctx.router.route(fx.event('land/in/a.csv'));
    expect(result.outcome).toBe('routed');
    expect(seen).toEqual([{ state: 'done', sourceThere: true, destinationThere: true }]);
    expect(await fx.ws.exists('land/in/a.csv')).toBe(false);
    expect((await fx.ws.read('finance/raw/a.csv')).toString()).toBe('alpha');
    const [record] = await fx.ctx.ledger.forDestination({ project: 'finance', bucket: 'raw', key: 'a.csv' });
    expect(record).toMatchObject({ state: 'done', attempts: 0 });
    expect(record?.sourceDeletedAt).toBeGreaterThan(0);
    expect((await fx.ctx.reports.counts()).byState.done).toBe(1);
  });

  it('keeps the source when the record cannot be written, and the next attempt finishes the move', async () => {
    fx = await routerFixture(ROUTES);
    await fx.ws.put('land/in/b.csv', 'bravo');
    let refuse = true;
    interceptTransitions(fx.ctx.ledger, (original) => async (id, owner, state, patch) => {
      if (refuse && state === 'done') {
        refuse = false;
        throw new Error('disk full (test)');
      }
      return original(id, owner, state, patch);
    });
    const first = await fx.ctx.router.route(fx.event('land/in/b.csv'));
    expect(first.outcome).toBe('failed');
    expect((await fx.ws.read('land/in/b.csv')).toString()).toBe('bravo');
    expect((await fx.ws.read('finance/raw/b.csv')).toString()).toBe('bravo');
    const [failed] = await fx.ctx.ledger.forDestination({ project: 'finance', bucket: 'raw', key: 'b.csv' });
    expect(failed?.state).toBe('failed');
    await new Promise((r) => setTimeout(r, 20));
    const second = await fx.ctx.router.route(fx.event('land/in/b.csv'));
    expect(second.outcome).toBe('routed');
    expect(await fx.ws.exists('land/in/b.csv')).toBe(false);
    expect((await fx.ws.read('finance/raw/b.csv')).toString()).toBe('bravo');
  });
});
