// A scan routes what its listing said of each file, without looking at the
// file again, where the store's listing says what a look does (local
// folders, GCS, memory). Every step after it is pinned to the listed
// generation, so a file written again or removed between its listing and its
// routing is never moved under the listing's word.
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { scan } from '../../src/modes/scan.js';
import type { ObjectStore } from '../../src/storage/types.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action
land,in,\\.csv$,lake,raw,,move
`;

describe('scan: the listing stands for a look at each file', () => {
  let fx: RouterFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('moves every listed file without a second look at its source', async () => {
    fx = await routerFixture(ROUTES);
    for (const name of ['a.csv', 'b.csv', 'c.csv']) await fx.ws.put(`land/in/${name}`, `${name}\n`);
    let looks = 0;
    const store = fx.wrap('land', {});
    const stat = store.stat.bind(store);
    Object.defineProperty(store, 'stat', {
      value: (...args: Parameters<ObjectStore['stat']>) => {
        looks++;
        return stat(...args);
      },
    });
    const report = await scan(fx.ctx, { concurrency: 4 });
    expect(report).toMatchObject({ routed: 3, failed: 0 });
    expect(looks).toBe(0);
    expect(await fx.ws.files()).toEqual(['lake/raw/a.csv', 'lake/raw/b.csv', 'lake/raw/c.csv']);
  });

  it('a file written again after its listing is not moved under the listed generation; the next scan moves it', async () => {
    fx = await routerFixture(ROUTES);
    await fx.ws.put('land/in/a.csv', 'first bytes\n');
    await fx.ws.put('land/in/b.csv', 'b\n');
    const ws = fx.ws;
    // written again once listed: other bytes, another size
    afterFirstListing(fx, () => ws.put('land/in/a.csv', 'the second, longer bytes\n'));
    const first = await scan(fx.ctx, { concurrency: 1 });
    // the listed generation is over: its delivery is superseded, the file kept for the new one
    expect(first).toMatchObject({ routed: 1, failed: 0 });
    const a = first.deliveries.find((d) => d.source === 'land/in/a.csv');
    expect(a).toMatchObject({ state: 'superseded', error: { code: 'E_PRECONDITION' } });
    expect(await fx.ws.files()).toEqual(['lake/raw/b.csv', 'land/in/a.csv']);
    expect((await fx.ws.read('land/in/a.csv')).toString()).toBe('the second, longer bytes\n');

    const second = await scan(fx.ctx, { concurrency: 1 });
    expect(second.failed).toBe(0);
    expect(await fx.ws.files()).toEqual(['lake/raw/a.csv', 'lake/raw/b.csv']);
    expect((await fx.ws.read('lake/raw/a.csv')).toString()).toBe('the second, longer bytes\n');
  });

  it('a file removed after its listing is not reported moved, and nothing is left behind', async () => {
    fx = await routerFixture(ROUTES);
    await fx.ws.put('land/in/a.csv', 'a\n');
    await fx.ws.put('land/in/b.csv', 'b\n');
    const ws = fx.ws;
    afterFirstListing(fx, () => rm(ws.file('land/in/a.csv')));
    const report = await scan(fx.ctx, { concurrency: 1, details: true });
    // the listed generation is over, as when it is written again: no dead letter for a file taken by hand
    expect(report).toMatchObject({ routed: 1, failed: 0, dead: 0 });
    const a = report.deliveries.find((d) => d.source === 'land/in/a.csv');
    expect(a).toMatchObject({ state: 'superseded', error: { code: 'E_PRECONDITION' } });
    expect(await fx.ws.files()).toEqual(['lake/raw/b.csv']);
  });
});

/** The `land` project's store, its first listing followed once by `then`, before the listed files are routed. */
function afterFirstListing(fx: RouterFixture, then: () => Promise<unknown>): void {
  const store = fx.wrap('land', {});
  const list = store.list.bind(store);
  let done = false;
  Object.defineProperty(store, 'list', {
    value: async (...args: Parameters<ObjectStore['list']>) => {
      const page = await list(...args);
      if (!done) {
        done = true;
        await then();
      }
      return page;
    },
  });
}
