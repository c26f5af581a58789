// A copy's record: once the destination stands and is verified, nothing
// happens between `verified` and `done` for it (a move's source is deleted
// there), so both are handed to the ledger at once and share one group
// commit: one transaction, not two, per copied file.
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryState, TransitionItem, TransitionPatch } from '../../src/ledger/types.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id
land,in,\\.csv$,finance,raw,,copy,to-finance
land,in,\\.csv$,archive,raw,,move,to-archive
`;

describe('router: a copy is recorded verified and done in one group commit', () => {
  let fx: RouterFixture;
  afterEach(async () => fx?.close());

  it('hands verified and done to the ledger in one call; a move in the same fan-out still records its done after its source went', async () => {
    fx = await routerFixture(ROUTES);
    await fx.ws.put('land/in/a.csv', 'alpha');
    const ledger = fx.ctx.ledger;
    // every call that changes a record's state, by route: one entry per call, its states in order
    const calls: { route: string; states: DeliveryState[] }[] = [];
    const routeOf = async (id: string) => (await ledger.get(id))?.routeId ?? '?';
    const transition = ledger.transition.bind(ledger);
    const transitionMany = ledger.transitionMany.bind(ledger);
    Object.defineProperty(ledger, 'transition', {
      configurable: true,
      value: async (id: string, owner: string, state: DeliveryState, patch?: TransitionPatch) => {
        calls.push({ route: await routeOf(id), states: [state] });
        return transition(id, owner, state, patch);
      },
    });
    Object.defineProperty(ledger, 'transitionMany', {
      configurable: true,
      value: async (items: TransitionItem[], owner: string) => {
        calls.push({ route: await routeOf(items[0]!.id), states: items.map((i) => i.state) });
        return transitionMany(items, owner);
      },
    });
    const result = await fx.ctx.router.route(fx.event('land/in/a.csv'));
    expect(result.outcome).toBe('routed');
    // the copy: one call, so both share a group commit; the move: verified, then done after its source went
    expect(calls.filter((c) => c.route === 'to-finance').map((c) => c.states)).toEqual([
      ['verified', 'done'],
    ]);
    expect(calls.filter((c) => c.route === 'to-archive').flatMap((c) => c.states)).toEqual([
      'verified',
      'done',
    ]);
    const records = [
      ...(await ledger.forDestination({ project: 'archive', bucket: 'raw', key: 'a.csv' })),
      ...(await ledger.forDestination({ project: 'finance', bucket: 'raw', key: 'a.csv' })),
    ];
    expect(records.map((r) => [r.routeId, r.state])).toEqual([
      ['to-archive', 'done'],
      ['to-finance', 'done'],
    ]);
    const copied = records.find((r) => r.routeId === 'to-finance')!;
    expect(copied.verifiedAt).toBeDefined();
    expect(copied.doneAt).toBeDefined();
    // the move's done waited for the source's deletion
    const moved = records.find((r) => r.routeId === 'to-archive')!;
    expect(moved.sourceDeletedAt).toBeDefined();
    expect(await fx.ws.exists('land/in/a.csv')).toBe(false);
  });
});
