// The ledger is a memory, the destination is the truth (invariant 1): a
// delivery the ledger remembers as done is looked at where it went before a
// source is deleted for it; a destination that is the source, and a route a
// file already took, are refused with the source kept (invariant 7). Local
// folders + SQLite; test/integration/{s3,gcs}-routing.test.ts run the cloud cases.
import { mkdir, rename, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scan } from '../../src/modes/scan.js';
import { FsStore } from '../../src/storage/fs/store.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id\n';

describe('router: the destination is the truth (fs)', () => {
  let fx: RouterFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  const open = async (rows: string, bypassValidation = false): Promise<RouterFixture> =>
    (fx = await routerFixture(HEADER + rows, { bypassValidation }));
  const scanNow = (f: RouterFixture) => scan(f.ctx, { concurrency: 4 });

  it('a delivered file moved back into the landing folder is delivered again, never deleted as a duplicate', async () => {
    const f = await open('land,in,^finance_,finance,raw,,move,to-finance\n');
    await f.ws.put('land/in/finance_1.csv', 'amount\n42\n');
    expect((await scanNow(f)).outcomes).toEqual({ routed: 1 });
    // the operator moves it back: same inode, same time, so the same generation the ledger knows as done
    await rename(f.ws.file('finance/raw/finance_1.csv'), f.ws.file('land/in/finance_1.csv'));
    const again = await scanNow(f);
    expect(again.outcomes).toEqual({ routed: 1 });
    expect(await f.ws.files()).toEqual(['finance/raw/finance_1.csv']);
    expect((await f.ws.read('finance/raw/finance_1.csv')).toString()).toBe('amount\n42\n');
    const [record] = (await f.ctx.reports.query({})).items;
    expect(record).toMatchObject({ state: 'done', errorCode: 'E_NOT_FOUND' });
  });

  it('a copy whose destination the consumer deleted is delivered again on the next notification', async () => {
    const f = await open('land,in,\\.csv$,sales,raw,daily,copy,to-sales\n');
    await f.ws.put('land/in/s.csv', 'sale');
    const event = f.event('land/in/s.csv');
    expect((await f.ctx.router.route(event)).outcome).toBe('routed');
    await rm(f.ws.file('sales/raw/daily/s.csv'));
    const again = await f.ctx.router.route(event);
    expect(again.outcome).toBe('routed');
    expect((await f.ws.read('sales/raw/daily/s.csv')).toString()).toBe('sale');
    expect(await f.ws.exists('land/in/s.csv')).toBe(true);
  });

  it('a notification repeated while the delivery stands is a duplicate and writes nothing', async () => {
    const f = await open('land,in,\\.csv$,sales,raw,,copy,to-sales\n');
    await f.ws.put('land/in/d.csv', 'dup');
    const event = f.event('land/in/d.csv');
    expect((await f.ctx.router.route(event)).outcome).toBe('routed');
    const before = await stat(f.ws.file('sales/raw/d.csv'), { bigint: true });
    const [record] = (await f.ctx.reports.query({})).items;
    const again = await f.ctx.router.route(event);
    expect(again.outcome).toBe('duplicate');
    const after = await stat(f.ws.file('sales/raw/d.csv'), { bigint: true });
    expect([after.ino, after.mtimeNs]).toEqual([before.ino, before.mtimeNs]);
    expect((await f.ctx.ledger.get(record!.id))?.updatedAt).toBe(record!.updatedAt);
  });

  it('a late notification for a moved file the consumer has since taken is gone, not a duplicate', async () => {
    const f = await open('land,in,\\.csv$,sales,raw,,move,to-sales\n');
    await f.ws.put('land/in/t.csv', 'taken');
    const routed = await f.ctx.router.route(f.event('land/in/t.csv'));
    expect(routed.outcome).toBe('routed');
    const late = f.event('land/in/t.csv', { generation: routed.generation! });
    expect((await f.ctx.router.route(late)).outcome).toBe('duplicate');
    await rm(f.ws.file('sales/raw/t.csv'));
    const gone = await f.ctx.router.route(late);
    expect(gone.outcome).toBe('gone');
    expect(gone.note).toContain('neither the source nor the destination');
  });

  it('a route a→b and b→a allowed as a cycle: the file ends in one place, refused with E_ROUTING_LOOP, never lost', async () => {
    fx = await routerFixture(
      `${HEADER.trimEnd()},allow_cycle\na,in,\\.csv$,b,in,,move,a-to-b,true\nb,in,\\.csv$,a,in,,move,b-to-a,true\n`,
    );
    const f = fx;
    await f.ws.put('a/in/c.csv', 'cycle');
    expect((await f.ctx.router.route(f.event('a/in/c.csv'))).outcome).toBe('routed');
    expect((await f.ctx.router.route(f.event('b/in/c.csv'))).outcome).toBe('routed');
    // the watcher sees it land in a again: it already took a-to-b, so it stays
    for (let round = 0; round < 2; round++) {
      const looped = await f.ctx.router.route(f.event('a/in/c.csv'));
      expect(looped.outcome).toBe('dead');
      expect(looped.deliveries.map((d) => d.error?.code)).toEqual(['E_ROUTING_LOOP']);
      expect(looped.sourceDeleted).toBeFalsy();
    }
    expect(await f.ws.files()).toEqual(['a/in/c.csv']);
    expect((await f.ws.read('a/in/c.csv')).toString()).toBe('cycle');
    const dead = (await f.ctx.reports.query({ states: ['dead'] })).items;
    expect(dead.map((r) => [r.routeId, r.errorCode])).toEqual([['a-to-b', 'E_ROUTING_LOOP']]);
  });

  it('a row whose destination is its source, were validate bypassed, is refused with E_DESTINATION_IS_SOURCE, the source kept', async () => {
    const f = await open('src,in,\\.csv$,src,in,,move,self\n', true);
    await f.ws.put('src/in/keep.csv', 'mine');
    const result = await f.ctx.router.route(f.event('src/in/keep.csv'));
    expect(result.outcome).toBe('dead');
    expect(result.deliveries.map((d) => d.error?.code)).toEqual(['E_DESTINATION_IS_SOURCE']);
    expect((await f.ws.read('src/in/keep.csv')).toString()).toBe('mine');
    expect((await f.ctx.reports.query({ states: ['dead'] })).items).toHaveLength(1);
  });

  it('a destination bucket folder that is a symbolic link to the source folder is the source', async () => {
    const f = await open('src,in,\\.csv$,mirror,out,,move,to-mirror\n');
    await f.ws.put('src/in/linked.csv', 'linked');
    await mkdir(f.ws.file('mirror'), { recursive: true });
    await symlink(f.ws.file('src/in'), f.ws.file('mirror/out'));
    const result = await f.ctx.router.route(f.event('src/in/linked.csv'));
    expect(result.deliveries.map((d) => d.error?.code)).toEqual(['E_DESTINATION_IS_SOURCE']);
    expect(result.sourceDeleted).toBeFalsy();
    expect((await f.ws.read('src/in/linked.csv')).toString()).toBe('linked');
    expect((await scanNow(f)).outcomes).toEqual({ dead: 1 });
    expect((await f.ws.read('src/in/linked.csv')).toString()).toBe('linked');
  });

  it('once its buckets are resolved, a file is screened by the identities at hand, the link still seen', async () => {
    const f = await open('src,in,\\.csv$,mirror,out,,move,to-mirror\n');
    await f.ws.put('src/in/a.csv', 'a');
    await f.ws.put('src/in/b.csv', 'b');
    await mkdir(f.ws.file('mirror'), { recursive: true });
    await symlink(f.ws.file('src/in'), f.ws.file('mirror/out'));
    const first = await f.ctx.router.route(f.event('src/in/a.csv'));
    expect(first.deliveries.map((d) => d.error?.code)).toEqual(['E_DESTINATION_IS_SOURCE']);
    const asked = vi.spyOn(FsStore.prototype, 'bucketIdentity');
    try {
      const second = await f.ctx.router.route(f.event('src/in/b.csv'));
      expect(second.deliveries.map((d) => d.error?.code)).toEqual(['E_DESTINATION_IS_SOURCE']);
      expect(asked).not.toHaveBeenCalled();
    } finally {
      asked.mockRestore();
    }
    expect((await f.ws.read('src/in/b.csv')).toString()).toBe('b');
  });

  it('landing → landing/archive/ moves the file once; the archived file is not routed again', async () => {
    const f = await open('land,in,\\.csv$,land,in,archive/{yyyy},move,archive\n');
    await f.ws.put('land/in/r.csv', 'report');
    expect((await scanNow(f)).outcomes).toEqual({ routed: 1 });
    const [archived] = await f.ws.files();
    expect(archived).toMatch(/^land\/in\/archive\/\d{4}\/r\.csv$/);
    const again = await scanNow(f);
    expect(again.outcomes).toEqual({ ignored: 1 });
    const key = archived!.split('/').slice(2).join('/');
    const watched = await f.ctx.router.route(f.event(`land/in/${key}`));
    expect(watched).toMatchObject({ outcome: 'ignored' });
    expect(watched.note).toContain('archive/');
    expect(await f.ws.files()).toEqual([archived]);
  });

  it('a destination elsewhere in a linked source folder works, and what it wrote is not routed again', async () => {
    const f = await open('src,in,\\.csv$,mirror,out,done,move,to-done\n');
    await f.ws.put('src/in/l.csv', 'via link');
    await mkdir(f.ws.file('mirror'), { recursive: true });
    await symlink(f.ws.file('src/in'), f.ws.file('mirror/out'));
    expect((await f.ctx.router.route(f.event('src/in/l.csv'))).outcome).toBe('routed');
    expect((await f.ws.read('src/in/done/l.csv')).toString()).toBe('via link');
    expect((await f.ctx.router.route(f.event('src/in/done/l.csv'))).outcome).toBe('ignored');
    expect(await f.ws.exists('src/in/done/l.csv')).toBe(true);
  });
});

describe('router: rows that send one file to one destination key', () => {
  const header =
    'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,route_id\n';
  let fx: RouterFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('are one delivery by the strictest conflict policy: overwrite never replaces what a fail row keeps', async () => {
    const f = (fx = await routerFixture(
      header + 'land,in,\\.csv$,fin,raw,,move,overwrite,loose\nland,in,\\.csv$,fin,raw,,move,fail,strict\n',
    ));
    await f.ws.put('land/in/sale.csv', 'first');
    expect((await f.ctx.router.route(f.event('land/in/sale.csv'))).outcome).toBe('routed');
    await f.ws.put('land/in/sale.csv', 'second');
    const second = await f.ctx.router.route(f.event('land/in/sale.csv'));
    expect(second.outcome).not.toBe('routed');
    expect((await f.ws.read('fin/raw/sale.csv')).toString()).toBe('first');
    expect((await f.ws.read('land/in/sale.csv')).toString()).toBe('second');
  });

  it('move the file when any of them moves, by the strictest row', async () => {
    const f = (fx = await routerFixture(
      header + 'land,in,\\.csv$,fin,raw,,copy,fail,keep\nland,in,\\.csv$,fin,raw,,move,overwrite,take\n',
    ));
    await f.ws.put('land/in/sale.csv', 'bytes');
    const result = await f.ctx.router.route(f.event('land/in/sale.csv'));
    expect(result.outcome).toBe('routed');
    expect(await f.ws.files()).toEqual(['fin/raw/sale.csv']);
    expect(result.deliveries.map((d) => [d.routeId, d.action])).toEqual([['keep', 'move']]);
  });

  it('are refused, the source kept, when their rows would write different bytes there (transforms differ)', async () => {
    const rows =
      'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,transform\n' +
      'land,in,\\.csv$,fin,raw,a,move,plain,\nland,in,\\.csv$,fin,raw,a,move,unzip,gunzip\n';
    const f = (fx = await routerFixture(rows, { bypassValidation: true }));
    await f.ws.put('land/in/sale.csv', 'not gzip');
    const result = await f.ctx.router.route(f.event('land/in/sale.csv'));
    expect(result.outcome).not.toBe('routed');
    expect(result.deliveries.map((d) => [d.routeId, d.state, d.error?.code])).toEqual([
      ['plain', 'dead', 'E_CONFLICT'],
      ['unzip', 'dead', 'E_CONFLICT'],
    ]);
    expect(await f.ws.files()).toEqual(['land/in/sale.csv']);
  });
});

describe('guards: staticPrefix', () => {
  it('keeps the fixed folders of a destination directory', async () => {
    const { staticPrefix } = await import('../../src/router/guards.js');
    expect(staticPrefix('archive')).toBe('archive/');
    expect(staticPrefix('/archive/')).toBe('archive/');
    expect(staticPrefix('archive/{yyyy}/{mm}')).toBe('archive/');
    expect(staticPrefix('arch{yyyy}')).toBe('');
    expect(staticPrefix('{path}')).toBe('');
    expect(staticPrefix('')).toBe('');
    expect(path.posix.join(staticPrefix('a/b{x}'), 'k')).toBe('a/k');
  });
});
