import { afterEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/model/errors.js';
import type { ObjectStore } from '../../src/storage/types.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,complete_when,group_timeout';

describe('groups (complete_when) on local folders', () => {
  let f: RouterFixture;
  afterEach(async () => f?.close());

  const route = (location: string) => f.ctx.router.route(f.event(location));

  it('a member waits for its marker; the marker delivers the whole group, marker last, then deletes the sources', async () => {
    f = await routerFixture(`${HEADER}\nland,in,\\.csv$,wh,raw,{path},move,batch,^_SUCCESS$,\n`);
    await f.ws.put('land/in/day1/a.csv', 'a');
    await f.ws.put('land/in/day1/b.csv', 'b');
    const first = await route('land/in/day1/a.csv');
    expect(first.outcome).toBe('waiting');
    expect(first.note).toContain('day1');
    expect(await f.ws.files()).toEqual(['land/in/day1/a.csv', 'land/in/day1/b.csv']);
    const waiting = await f.ctx.reports.listWaiting(10);
    expect(waiting).toMatchObject([
      { project: 'land', bucket: 'in', folder: 'day1', routeId: 'batch', members: 2 },
    ]);

    await f.ws.put('land/in/day1/_SUCCESS', '');
    const marker = await route('land/in/day1/_SUCCESS');
    expect(marker.outcome).toBe('routed');
    expect(marker.group).toEqual({ folder: 'day1', completed: ['batch'], waiting: [] });
    expect(await f.ws.files()).toEqual(['wh/raw/day1/_SUCCESS', 'wh/raw/day1/a.csv', 'wh/raw/day1/b.csv']);
    expect(await f.ctx.reports.listWaiting(10)).toEqual([]);
    // the marker's delivery was recorded after every member's
    const page = await f.ctx.reports.query({ limit: 10 });
    const doneAt = new Map(page.items.map((d) => [d.source.key, d.doneAt ?? 0]));
    expect(doneAt.get('day1/_SUCCESS')).toBeGreaterThanOrEqual(
      Math.max(doneAt.get('day1/a.csv')!, doneAt.get('day1/b.csv')!),
    );
    expect(page.items.find((d) => d.source.key === 'day1/_SUCCESS')?.routeId).toBe('batch#marker');
  });

  it('a member landing after its marker is delivered at once with the group; other folders are other groups', async () => {
    f = await routerFixture(`${HEADER}\nland,in,\\.csv$,wh,raw,{path},copy,batch,^_SUCCESS$,\n`);
    await f.ws.put('land/in/d1/_SUCCESS', '');
    expect((await route('land/in/d1/_SUCCESS')).outcome).toBe('ignored');
    await f.ws.put('land/in/d1/a.csv', 'a');
    await f.ws.put('land/in/d2/a.csv', 'other');
    expect((await route('land/in/d1/a.csv')).outcome).toBe('routed');
    expect((await route('land/in/d2/a.csv')).outcome).toBe('waiting');
    expect(await f.ws.files()).toEqual([
      'land/in/d1/_SUCCESS',
      'land/in/d1/a.csv',
      'land/in/d2/a.csv',
      'wh/raw/d1/_SUCCESS',
      'wh/raw/d1/a.csv',
    ]);
    // copy: again is a duplicate
    expect((await route('land/in/d1/a.csv')).outcome).toBe('duplicate');
  });

  it('a JSON manifest makes the group exactly its list; a missing or different member keeps it waiting', async () => {
    f = await routerFixture(`${HEADER}\nland,in,\\.csv$,wh,raw,{path},move,batch,manifest\\.json$,\n`);
    await f.ws.put('land/in/d/a.csv', 'a');
    await f.ws.put('land/in/d/extra.csv', 'not listed');
    const manifest = {
      files: [
        { name: 'a.csv', size: 1, crc32c: crc32cOf('a') },
        { name: 'b.csv', size: 2 },
      ],
    };
    await f.ws.put('land/in/d/manifest.json', JSON.stringify(manifest));
    const early = await route('land/in/d/manifest.json');
    expect(early.outcome).toBe('waiting');
    expect(early.note).toContain('b.csv');
    await f.ws.put('land/in/d/b.csv', 'bad');
    expect((await route('land/in/d/b.csv')).outcome).toBe('waiting');
    await f.ws.put('land/in/d/b.csv', 'bb');
    expect((await route('land/in/d/b.csv')).outcome).toBe('routed');
    expect(await f.ws.files()).toEqual([
      'land/in/d/extra.csv',
      'wh/raw/d/a.csv',
      'wh/raw/d/b.csv',
      'wh/raw/d/manifest.json',
    ]);
  });

  it('nothing is deleted while a member fails; the next arrival completes the group', async () => {
    f = await routerFixture(`${HEADER}\nland,in,\\.csv$,wh,raw,{path},move,batch,^_SUCCESS$,\n`);
    await f.ws.put('land/in/d/a.csv', 'a');
    await f.ws.put('land/in/d/b.csv', 'b');
    await f.ws.put('land/in/d/_SUCCESS', '');
    let failures = 1;
    const wh = f.wrap('wh', {});
    const copy = wh.copy.bind(wh);
    f.wrap('wh', {
      copy: (
        source: ObjectStore,
        from: { bucket: string; key: string },
        to: { bucket: string; key: string },
      ) => {
        if (to.key === 'd/b.csv' && failures-- > 0) throw new TransientError('E_BACKEND', 'flaky disk');
        return copy(source, from, to);
      },
    });
    const failed = await route('land/in/d/_SUCCESS');
    expect(failed.outcome).toBe('failed');
    expect(failures).toBe(0);
    expect(await f.ws.exists('land/in/d/a.csv')).toBe(true);
    expect(await f.ws.exists('land/in/d/_SUCCESS')).toBe(true);
    expect(await f.ws.exists('wh/raw/d/_SUCCESS')).toBe(false);
    await f.ctx.ledger.makeDue(failed.deliveries.filter((d) => d.state === 'failed').map((d) => d.id));
    const again = await route('land/in/d/_SUCCESS');
    expect(again.outcome).toBe('routed');
    expect(await f.ws.files()).toEqual(['wh/raw/d/_SUCCESS', 'wh/raw/d/a.csv', 'wh/raw/d/b.csv']);
  });

  it('an incomplete group older than group_timeout is dead-lettered, its sources kept', async () => {
    f = await routerFixture(`${HEADER}\nland,in,\\.csv$,wh,raw,{path},move,batch,^_SUCCESS$,1ms\n`);
    await f.ws.put('land/in/d/a.csv', 'a');
    expect((await route('land/in/d/a.csv')).outcome).toBe('waiting');
    await new Promise((r) => setTimeout(r, 5));
    const expired = await f.ctx.router.expireGroups();
    expect(expired).toMatchObject([{ folder: 'd', routeId: 'batch', deadLettered: 1 }]);
    expect(expired[0]?.reason).toContain('group_timeout');
    const dead = await f.ctx.reports.query({ states: ['dead'], limit: 10 });
    expect(dead.items).toMatchObject([{ source: { key: 'd/a.csv' }, errorCode: 'E_GROUP_TIMEOUT' }]);
    expect(await f.ws.files()).toEqual(['land/in/d/a.csv']);
    expect(await f.ctx.reports.listWaiting(10)).toEqual([]);
    expect(await f.ctx.router.expireGroups()).toEqual([]);
  });

  it('a manifest naming a file that never comes: the group times out too, naming it, sources kept', async () => {
    f = await routerFixture(`${HEADER}\nland,in,\\.csv$,wh,raw,{path},move,batch,manifest\\.json$,1ms\n`);
    await f.ws.put('land/in/d/a.csv', 'a');
    await f.ws.put(
      'land/in/d/manifest.json',
      JSON.stringify({ files: [{ name: 'a.csv' }, { name: 'b.csv' }] }),
    );
    expect((await route('land/in/d/manifest.json')).outcome).toBe('waiting');
    await new Promise((r) => setTimeout(r, 5));
    const expired = await f.ctx.router.expireGroups();
    expect(expired).toMatchObject([{ folder: 'd', routeId: 'batch', deadLettered: 1 }]);
    expect(expired[0]?.reason).toContain(
      'its manifest (manifest.json) names, of which 1 not there as named (b.csv)',
    );
    const dead = await f.ctx.reports.query({ states: ['dead'], limit: 10 });
    expect(dead.items).toMatchObject([{ source: { key: 'd/a.csv' }, errorCode: 'E_GROUP_TIMEOUT' }]);
    expect(await f.ws.files()).toEqual(['land/in/d/a.csv', 'land/in/d/manifest.json']);
    expect(await f.ctx.reports.listWaiting(10)).toEqual([]);
    expect(await f.ctx.router.expireGroups()).toEqual([]);
  });

  it('under a complete manifest group, a file it does not list waits, shows, and times out alone', async () => {
    f = await routerFixture(`${HEADER}\nland,in,\\.csv$,wh,raw,{path},copy,batch,manifest\\.json$,1ms\n`);
    await f.ws.put('land/in/d/a.csv', 'a');
    await f.ws.put('land/in/d/extra.csv', 'x');
    await f.ws.put('land/in/d/manifest.json', JSON.stringify({ files: [{ name: 'a.csv' }] }));
    expect((await route('land/in/d/manifest.json')).outcome).toBe('routed');
    const extra = await route('land/in/d/extra.csv');
    expect(extra.outcome).toBe('waiting');
    expect(extra.note).toContain('for a manifest that lists it (row batch: not listed in manifest.json)');
    expect(await f.ctx.reports.listWaiting(10)).toMatchObject([
      { folder: 'd', routeId: 'batch', members: 1 },
    ]);
    await new Promise((r) => setTimeout(r, 5));
    const expired = await f.ctx.router.expireGroups();
    expect(expired).toMatchObject([{ folder: 'd', routeId: 'batch', deadLettered: 1 }]);
    expect(expired[0]?.reason).toContain(
      'a manifest listing 1 file(s) that manifest.json does not list (extra.csv)',
    );
    const dead = await f.ctx.reports.query({ states: ['dead'], limit: 10 });
    expect(dead.items).toMatchObject([{ source: { key: 'd/extra.csv' }, errorCode: 'E_GROUP_TIMEOUT' }]);
    const done = await f.ctx.reports.query({ states: ['done'], limit: 10 });
    expect(done.items.map((d) => d.source.key).sort()).toEqual(['d/a.csv', 'd/manifest.json']);
    expect(await f.ws.files()).toEqual([
      'land/in/d/a.csv',
      'land/in/d/extra.csv',
      'land/in/d/manifest.json',
      'wh/raw/d/a.csv',
      'wh/raw/d/manifest.json',
    ]);
  });

  it('a waiting group whose marker landed is not timed out', async () => {
    f = await routerFixture(`${HEADER}\nland,in,\\.csv$,wh,raw,{path},move,batch,^_SUCCESS$,1ms\n`);
    await f.ws.put('land/in/d/a.csv', 'a');
    await route('land/in/d/a.csv');
    await f.ws.put('land/in/d/_SUCCESS', '');
    await new Promise((r) => setTimeout(r, 5));
    expect(await f.ctx.router.expireGroups()).toEqual([]);
    expect((await route('land/in/d/_SUCCESS')).outcome).toBe('routed');
  });
});
