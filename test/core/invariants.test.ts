import { rm, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,route_id';

describe('DESIGN invariants on fs + SQLite', () => {
  let fx: RouterFixture;
  afterEach(async () => fx?.close());

  it('1: the source is deleted only after every delivery of its generation is verified', async () => {
    fx = await routerFixture(`${HEADER}
land,in,\\.csv$,finance,raw,a,move,fail,to-finance
land,in,\\.csv$,audit,raw,b,move,fail,to-audit
`);
    await fx.ws.put('land/in/x.csv', 'payload');
    await fx.ws.put('audit/raw/b', 'a file standing where the folder b should be');

    const failed = await fx.ctx.router.route(fx.event('land/in/x.csv'));
    expect(failed.outcome).toBe('failed');
    expect(failed.deliveries.find((d) => d.routeId === 'to-audit')?.error?.code).toBe(
      'E_DESTINATION_UNWRITABLE',
    );
    expect(await fx.ws.exists('land/in/x.csv')).toBe(true);
    expect((await fx.ws.read('finance/raw/a/x.csv')).toString()).toBe('payload');

    await rm(fx.ws.file('audit/raw/b'));
    await new Promise((r) => setTimeout(r, 20)); // past the (tiny) backoff
    const routed = await fx.ctx.router.route(fx.event('land/in/x.csv'));
    expect(routed.outcome).toBe('routed');
    expect(await fx.ws.files()).toEqual(['audit/raw/b/x.csv', 'finance/raw/a/x.csv']);
  });

  it('2: deletion is conditional on the generation copied; a file overwritten meanwhile is kept and routed anew', async () => {
    fx = await routerFixture(`${HEADER}
land,in,\\.csv$,finance,raw,a,move,overwrite,to-finance
land,in,\\.csv$,audit,raw,b,copy,overwrite,to-audit
`);
    const file = await fx.ws.put('land/in/x.csv', 'version one');
    let overwritten = false;
    const store = fx.wrap('land', {});
    const realDelete = store.delete.bind(store);
    Object.defineProperty(store, 'delete', {
      value: async (...args: Parameters<typeof store.delete>) => {
        if (!overwritten) {
          overwritten = true;
          await writeFile(file, 'version two, longer');
        }
        return realDelete(...args);
      },
    });

    const first = await fx.ctx.router.route(fx.event('land/in/x.csv'));
    expect(first.outcome).toBe('routed');
    expect(first.sourceDeleted).toBe(false);
    expect((await fx.ws.read('land/in/x.csv')).toString()).toBe('version two, longer');
    expect((await fx.ws.read('finance/raw/a/x.csv')).toString()).toBe('version one');

    const second = await fx.ctx.router.route(fx.event('land/in/x.csv'));
    expect(second.outcome).toBe('routed');
    expect(second.generation).not.toBe(first.generation);
    expect(await fx.ws.exists('land/in/x.csv')).toBe(false);
    expect((await fx.ws.read('finance/raw/a/x.csv')).toString()).toBe('version two, longer');
  });

  it('3: destinations are written atomically: no temp file is ever left visible after routing', async () => {
    fx = await routerFixture(`${HEADER}
land,in,\\.bin$,out,raw,,copy,fail,r1
`);
    await fx.ws.put('land/in/big.bin', Buffer.alloc(8 * 1024 * 1024, 7));
    const result = await fx.ctx.router.route(fx.event('land/in/big.bin'));
    expect(result.outcome).toBe('routed');
    expect(await fx.ws.files()).toEqual(['land/in/big.bin', 'out/raw/big.bin']);
  });

  it('4: keys that could escape their bucket are refused with E_KEY_UNSAFE, recorded dead, never retried', async () => {
    fx = await routerFixture(`${HEADER}
land,in,.,out,raw,,move,fail,all
land,in,^(?P<d>\\.\\.)x,out,raw,{d},move,fail,group-escape
`);
    await fx.ws.put('land/in/ok.txt', 'fine');
    for (const key of [
      '../escape.csv',
      '/abs.csv',
      'a/../../b.csv',
      'nul\u0000.csv',
      'line\nbreak.csv',
      'a/./b.csv',
    ]) {
      const result = await fx.ctx.router.route(fx.event(`land/in/${key}`));
      expect(result.outcome, key).toBe('dead');
      expect(result.error?.code, key).toBe('E_KEY_UNSAFE');
    }
    await fx.ws.put('land/in/..x', 'group value ..');
    const grouped = await fx.ctx.router.route(fx.event('land/in/..x'));
    expect(grouped.deliveries.find((d) => d.routeId === 'group-escape')?.error?.code).toBe('E_KEY_UNSAFE');
    expect(grouped.outcome).toBe('dead');
    expect(await fx.ws.exists('land/in/..x')).toBe(true); // a dead delivery keeps the source
    const counts = await fx.ctx.reports.counts();
    expect(counts.byState.dead).toBeGreaterThanOrEqual(7);
    expect((await fx.ws.files()).every((f) => f.startsWith('land/in/') || f.startsWith('out/raw/'))).toBe(
      true,
    );
  });

  it('6: the same notification delivered many times, or out of order, routes the object once', async () => {
    fx = await routerFixture(`${HEADER}
land,in,\\.csv$,a,raw,,copy,fail,r-a
land,in,\\.csv$,b,raw,,move,fail,r-b
`);
    await fx.ws.put('land/in/x.csv', 'once');
    const event = fx.event('land/in/x.csv');
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => fx.ctx.router.route(event)));
    const outcomes = results.map((r) => r.outcome).sort();
    expect(outcomes.filter((o) => o === 'routed')).toHaveLength(1);
    expect(outcomes.every((o) => ['routed', 'duplicate', 'in-flight', 'gone'].includes(o))).toBe(true);
    const generation = results.find((r) => r.outcome === 'routed')!.generation!;
    const deliveries = await fx.ctx.ledger.forGeneration(
      { project: 'land', bucket: 'in', key: 'x.csv' },
      generation,
    );
    expect(deliveries.map((d) => [d.routeId, d.state, d.attempts]).sort()).toEqual([
      ['r-a', 'done', 0],
      ['r-b', 'done', 0],
    ]);
    // A late duplicate, and an older generation arriving after the newer one, change nothing.
    expect((await fx.ctx.router.route({ ...event, generation })).outcome).toBe('duplicate');
    expect((await fx.ctx.router.route({ ...event, generation: 'older' })).outcome).toBe('gone');
    expect(await fx.ws.files()).toEqual(['a/raw/x.csv', 'b/raw/x.csv']);
  });
});
