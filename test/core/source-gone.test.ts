// A notification whose source has vanished: terminal only when every delivery
// of that generation is over. While another worker still holds one (it may be
// the rename that made the source vanish) or one waits for its retry, the
// event must stay pending so no queue acks it early.
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { planDeliveries } from '../../src/router/plan.js';
import type { ObjectEvent } from '../../src/model/event.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id
land,in,\\.csv$,finance,raw,,move,to-finance
`;
const OTHER_WORKER = 'elsewhere:1:abc';

describe('router: source gone', () => {
  let fx: RouterFixture;
  afterEach(async () => fx?.close());

  /** Lands x.csv, lets `prepare` touch its delivery in the ledger, then deletes the source. */
  async function vanished(prepare: (id: string) => Promise<void>): Promise<ObjectEvent> {
    fx = await routerFixture(ROUTES);
    await fx.ws.put('land/in/x.csv', 'payload');
    const source = { project: 'land', bucket: 'in', key: 'x.csv' };
    const object = await (await fx.ctx.stores.storeFor('land')).stat('in', 'x.csv');
    const [planned] = planDeliveries(fx.ctx.referential(), source, object!).deliveries;
    expect((await fx.ctx.ledger.claim(planned!.plan, OTHER_WORKER, 60_000)).status).toBe('claimed');
    await prepare(planned!.plan.id);
    await rm(fx.ws.file('land/in/x.csv'));
    return fx.event('land/in/x.csv', { generation: object!.generation });
  }

  it('is in-flight while another worker holds the delivery', async () => {
    const event = await vanished(async () => undefined);
    const result = await fx.ctx.router.route(event);
    expect(result.outcome).toBe('in-flight');
    expect(result.deliveries.map((d) => d.state)).toEqual(['in-flight']);
  });

  it('is failed, with a retry time, while the delivery waits for its next attempt', async () => {
    const event = await vanished(async (id) => {
      await fx.ctx.ledger.transition(id, OTHER_WORKER, 'failed', {
        errorCode: 'E_BACKEND',
        lastError: 'destination unreachable',
        nextAttemptAt: Date.now() + 60_000,
      });
    });
    const result = await fx.ctx.router.route(event);
    expect(result.outcome).toBe('failed');
    expect(result.retryAfterMs).toBeGreaterThan(50_000);
  });

  it('is gone, terminal, once the delivery can be claimed and its destination lacks the file', async () => {
    const event = await vanished((id) => fx.ctx.ledger.release(id, OTHER_WORKER));
    const result = await fx.ctx.router.route(event);
    expect(result.outcome).toBe('gone');
    expect(result.deliveries.map((d) => d.state)).toEqual(['gone']);
  });
});
