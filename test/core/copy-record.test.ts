// A copy's record: once the destination stands and is verified, nothing
// happens between `verified` and `done` for it (a move's source is deleted
// there), so both are handed to the ledger at once and share one group
// commit: one transaction, not two, per copied file.
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryState } from '../../src/ledger/types.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id
land,in,\\.csv$,finance,raw,,copy,to-finance
land,in,\\.csv$,archive,raw,,move,to-archive
`;

describe('router: a copy is recorded verified and done in one group commit', () => {
  let fx: RouterFixture;
  afterEach(async () => fx?.close());

  it('asks for done before verified is answered; a move in the same fan-out still waits for its source deletion', async () => {
    fx = await routerFixture(ROUTES);
    await fx.ws.put('land/in/a.csv', 'alpha');
    const ledger = fx.ctx.ledger;
    const original = ledger.transition.bind(ledger);
    const asked: { route: string; state: DeliveryState; pending: string[] }[] = [];
    const pending = new Set<string>();
    const routeOf = new Map<string, string>();
    Object.defineProperty(ledger, 'transition', {
      configurable: true,
      value: async (id: string, owner: string, state: DeliveryState, patch?: object) => {
        const record = await ledger.get(id);
        if (record) routeOf.set(id, record.routeId);
        const label = `${routeOf.get(id) ?? id}:${state}`;
        asked.push({ route: routeOf.get(id) ?? '?', state, pending: [...pending] });
        pending.add(label);
        try {
          return await original(id, owner, state, patch);
        } finally {
          pending.delete(label);
        }
      },
    });
    const result = await fx.ctx.router.route(fx.event('land/in/a.csv'));
    expect(result.outcome).toBe('routed');
    const copy = asked.filter((a) => a.route === 'to-finance');
    expect(copy.map((a) => a.state)).toEqual(['verified', 'done']);
    expect(copy[1]!.pending).toContain('to-finance:verified');
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
