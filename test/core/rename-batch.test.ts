// Local moves routed at once (a scan's lanes, a drain's batch) are made
// together (RenameBatcher, moveInBatch, FsStore.renameMany).
// Whatever the batch cannot make is carried alone and judged as ever;
// nothing is replaced, nothing lost, and a move's record stands before its
// source goes.
import { link, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryPlan, TransitionItem } from '../../src/ledger/types.js';
import type { ObjectEvent } from '../../src/model/event.js';
import type { ObjectInfo } from '../../src/storage/types.js';
import { versionedKey } from '../../src/router/plan.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,route_id
land,in,^fin.*\\.csv$,finance,raw,,move,fail,to-finance
land,in,^copy.*\\.csv$,archive,raw,,copy,fail,to-archive
`;

describe('router: local moves routed at once are made together', () => {
  let fx: RouterFixture;
  afterEach(async () => fx?.close());

  /** Routes the files at once, as a scan's lanes do, each with its listing. */
  const routeAll = (files: Array<{ event: ObjectEvent; object: ObjectInfo }>) =>
    Promise.all(files.map(({ event, object }) => fx.ctx.router.route(event, object)));

  /** The page a scan lists of land/in now: each file's event and listing. */
  const listed = async (keys: string[]) => {
    const store = await fx.ctx.stores.storeFor('land');
    return Promise.all(
      keys.map(async (key) => {
        const object = (await store.stat('in', key)) as ObjectInfo;
        return {
          event: { ...fx.event(`land/in/${key}`), generation: object.generation, origin: 'scan' as const },
          object,
        };
      }),
    );
  };

  it('moves, copies, leaves unrouted and refuses a taken name as route() would, each in its own result', async () => {
    fx = await routerFixture(ROUTES);
    for (const key of ['fin-1.csv', 'fin-2.csv', 'copy-1.csv', 'other.txt', 'fin-taken.csv'])
      await fx.ws.put(`land/in/${key}`, `bytes of ${key}`);
    await fx.ws.put('finance/raw/fin-taken.csv', 'a file of the finance team');
    // the three moves go to the finance store's renameMany at once
    const finance = await fx.ctx.stores.storeFor('finance');
    const renameMany = finance.renameMany!.bind(finance);
    const batches: string[][] = [];
    Object.defineProperty(finance, 'renameMany', {
      configurable: true,
      value: (...args: Parameters<typeof renameMany>) => {
        batches.push(args[1].map((m) => m.from.key));
        return renameMany(...args);
      },
    });
    const results = await routeAll(
      await listed(['copy-1.csv', 'fin-1.csv', 'fin-2.csv', 'fin-taken.csv', 'other.txt']),
    );
    expect(results.map((r) => [r.event.key, r.outcome])).toEqual([
      ['copy-1.csv', 'routed'],
      ['fin-1.csv', 'routed'],
      ['fin-2.csv', 'routed'],
      ['fin-taken.csv', 'dead'],
      ['other.txt', 'unrouted'],
    ]);
    expect(batches).toEqual([['fin-1.csv', 'fin-2.csv', 'fin-taken.csv']]);
    expect(results[1]!.deliveries.map((d) => d.state)).toEqual(['done']);
    expect(results[1]!.sourceDeleted).toBe(true);
    expect(results[3]!.deliveries[0]!.error?.code).toBe('E_CONFLICT');
    for (const key of ['fin-1.csv', 'fin-2.csv']) {
      expect(await fx.ws.exists(`land/in/${key}`)).toBe(false);
      expect((await fx.ws.read(`finance/raw/${key}`)).toString()).toBe(`bytes of ${key}`);
      const [record] = await fx.ctx.ledger.forDestination({ project: 'finance', bucket: 'raw', key });
      expect([record?.state, record?.sourceDeletedAt !== undefined]).toEqual(['done', true]);
    }
    expect((await fx.ws.read('finance/raw/fin-taken.csv')).toString()).toBe('a file of the finance team');
    expect((await fx.ws.read('land/in/fin-taken.csv')).toString()).toBe('bytes of fin-taken.csv');
    expect((await fx.ws.read('archive/raw/copy-1.csv')).toString()).toBe('bytes of copy-1.csv');
    expect(await fx.ws.exists('land/in/copy-1.csv')).toBe(true);
    expect(await fx.ws.exists('land/in/other.txt')).toBe(true);
  });

  it('judges a destination a killed run left standing unrecorded: delivered, and the source goes', async () => {
    fx = await routerFixture(ROUTES);
    await fx.ws.put('land/in/fin-1.csv', 'bytes');
    // a run killed between its link and its record: the destination is the same inode
    await mkdir(path.dirname(fx.ws.file('finance/raw/fin-1.csv')), { recursive: true });
    await link(fx.ws.file('land/in/fin-1.csv'), fx.ws.file('finance/raw/fin-1.csv'));
    const [result] = await routeAll(await listed(['fin-1.csv']));
    expect(result?.outcome).toBe('routed');
    expect(result?.deliveries.map((d) => d.state)).toEqual(['done']);
    expect(await fx.ws.exists('land/in/fin-1.csv')).toBe(false);
    expect((await fx.ws.read('finance/raw/fin-1.csv')).toString()).toBe('bytes');
  });

  it('under on_conflict=version, a move whose name is taken goes alone to its versioned key', async () => {
    fx = await routerFixture(ROUTES.replace(',move,fail,to-finance', ',move,version,to-finance'));
    for (const key of ['fin-1.csv', 'fin-2.csv']) await fx.ws.put(`land/in/${key}`, `new ${key}`);
    await fx.ws.put('finance/raw/fin-2.csv', 'the finance team’s own fin-2');
    const files = await listed(['fin-1.csv', 'fin-2.csv']);
    const results = await routeAll(files);
    expect(results.map((r) => [r.outcome, r.deliveries[0]?.state])).toEqual([
      ['routed', 'done'],
      ['routed', 'done'],
    ]);
    const versioned = versionedKey('fin-2.csv', files[1]!.object.generation);
    expect(results[1]!.deliveries[0]!.destination).toBe(`finance/raw/${versioned}`);
    expect((await fx.ws.read(`finance/raw/${versioned}`)).toString()).toBe('new fin-2.csv');
    expect((await fx.ws.read('finance/raw/fin-2.csv')).toString()).toBe('the finance team’s own fin-2');
    expect((await fx.ws.read('finance/raw/fin-1.csv')).toString()).toBe('new fin-1.csv');
    expect(await fx.ws.exists('land/in/fin-1.csv')).toBe(false);
    expect(await fx.ws.exists('land/in/fin-2.csv')).toBe(false);
  });

  it('answers for a move whose hold fails, and makes the others of its batch', async () => {
    fx = await routerFixture(ROUTES);
    for (const key of ['fin-1.csv', 'fin-bad.csv', 'fin-2.csv']) await fx.ws.put(`land/in/${key}`, key);
    const ledger = fx.ctx.ledger;
    const holdMany = ledger.holdMany!.bind(ledger);
    Object.defineProperty(ledger, 'holdMany', {
      configurable: true,
      value: async (plans: DeliveryPlan[], owner: string, leaseMs: number) => {
        if (plans.some((p) => p.source.key === 'fin-bad.csv')) throw new Error('ledger unavailable');
        return holdMany(plans, owner, leaseMs);
      },
    });
    const results = await routeAll(await listed(['fin-1.csv', 'fin-bad.csv', 'fin-2.csv']));
    expect(results.map((r) => [r.event.key, r.outcome, r.error?.message])).toEqual([
      ['fin-1.csv', 'routed', undefined],
      ['fin-bad.csv', 'failed', 'ledger unavailable'],
      ['fin-2.csv', 'routed', undefined],
    ]);
    expect((await fx.ws.read('land/in/fin-bad.csv')).toString()).toBe('fin-bad.csv');
    expect(await fx.ws.exists('finance/raw/fin-bad.csv')).toBe(false);
    expect(await fx.ws.exists('land/in/fin-1.csv')).toBe(false);
    expect(await fx.ws.exists('land/in/fin-2.csv')).toBe(false);
  });

  it('keeps every source of a batch whose record fails, and the next attempt delivers them', async () => {
    fx = await routerFixture(ROUTES);
    const keys = ['fin-1.csv', 'fin-2.csv', 'fin-3.csv'];
    for (const key of keys) await fx.ws.put(`land/in/${key}`, `bytes of ${key}`);
    const ledger = fx.ctx.ledger;
    const transitionMany = ledger.transitionMany.bind(ledger);
    let failures = 1;
    Object.defineProperty(ledger, 'transitionMany', {
      configurable: true,
      value: async (items: TransitionItem[], owner: string) => {
        if (items.some((i) => i.state === 'done') && failures-- > 0) throw new Error('ledger unavailable');
        return transitionMany(items, owner);
      },
    });
    const first = await routeAll(await listed(keys));
    expect(first.map((r) => r.outcome)).toEqual(['failed', 'failed', 'failed']);
    for (const key of keys) {
      expect(await fx.ws.exists(`land/in/${key}`)).toBe(true);
      expect(await fx.ws.exists(`finance/raw/${key}`)).toBe(true);
    }
    const again = await routeAll(await listed(keys));
    expect(again.map((r) => r.outcome)).toEqual(['routed', 'routed', 'routed']);
    for (const key of keys) {
      expect(await fx.ws.exists(`land/in/${key}`)).toBe(false);
      expect((await fx.ws.read(`finance/raw/${key}`)).toString()).toBe(`bytes of ${key}`);
    }
  });
});
