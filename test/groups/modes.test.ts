// Groups (complete_when) in the two modes that route one event at a time on
// local folders:
// - a batch drain (src/drains/batch.ts over the SQLite queue): queued
//   members come out `waiting` and their messages are acked (not nacked,
//   not dead-lettered, not left in the queue) with nothing delivered; the
//   marker's message, drained later, delivers the group whole, the marker
//   last, and deletes the sources (move); another folder keeps waiting.
// - the folder watcher of `switchyard serve` (the built CLI in a child
//   process, event mode): members landing stay where they are; the marker
//   landing delivers them all, the marker never before its members, then
//   deletes the sources.
import { mkdir, readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { drain } from '../../src/drains/batch.js';
import { FS_TEMP_PREFIX } from '../../src/storage/fs/paths.js';
import { batchFixture, type BatchFixture } from '../batch/helpers.js';
import { serve, type Served } from '../helpers/serve-child.js';
import { Workspace } from '../helpers/workspace.js';
import { until } from '../helpers/until.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,complete_when';
const ROUTES = `${HEADER}\nland,in,\\.csv$,wh,raw,{path},move,batch,^_SUCCESS$\n`;

describe('groups in a batch drain (SQLite queue)', () => {
  let f: BatchFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it('members drain as waiting and are acked; the marker drained later delivers the group, marker last, then deletes the sources', async () => {
    f = await batchFixture(ROUTES);
    await f.ws.put('land/in/day1/a.csv', 'a');
    await f.ws.put('land/in/day1/b.csv', 'bb');
    await f.ws.put('land/in/day2/c.csv', 'ccc');
    await f.queue.publish(['day1/a.csv', 'day1/b.csv', 'day2/c.csv'].map((k) => f!.event(`land/in/${k}`)));
    expect(await f.queue.stats()).toMatchObject({ depth: 3, inFlight: 0, dead: 0 });

    const first = await drain(f.ctx, f.queue, {});
    expect(first).toMatchObject({
      messages: 3,
      waiting: 3,
      routed: 0,
      failed: 0,
      dead: 0,
      acked: 3,
      nacked: 0,
      deadLettered: 0,
      stoppedBy: 'empty',
    });
    expect(first.outcomes).toEqual({ waiting: 3 });
    expect(await f.queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
    expect(await f.ws.files()).toEqual(['land/in/day1/a.csv', 'land/in/day1/b.csv', 'land/in/day2/c.csv']);
    expect((await f.ctx.reports.listWaiting(10)).map((g) => [g.folder, g.routeId, g.members]).sort()).toEqual(
      [
        ['day1', 'batch', 2],
        ['day2', 'batch', 1],
      ],
    );
    // nothing was recorded as a delivery while the group waits
    expect((await f.ctx.reports.query({ limit: 10 })).items).toEqual([]);

    await f.ws.put('land/in/day1/_SUCCESS', '');
    await f.queue.publish([f.event('land/in/day1/_SUCCESS')]);
    const second = await drain(f.ctx, f.queue, {});
    expect(second).toMatchObject({
      messages: 1,
      routed: 1,
      failed: 0,
      dead: 0,
      acked: 1,
      nacked: 0,
      deadLettered: 0,
    });
    expect(await f.queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
    expect(await f.ws.files()).toEqual([
      'land/in/day2/c.csv',
      'wh/raw/day1/_SUCCESS',
      'wh/raw/day1/a.csv',
      'wh/raw/day1/b.csv',
    ]);
    expect((await f.ws.read('wh/raw/day1/b.csv')).toString()).toBe('bb');
    expect((await f.ctx.reports.listWaiting(10)).map((g) => g.folder)).toEqual(['day2']);

    const items = (await f.ctx.reports.query({ limit: 10 })).items;
    expect(items.map((d) => [d.source.key, d.routeId, d.state]).sort()).toEqual([
      ['day1/_SUCCESS', 'batch#marker', 'done'],
      ['day1/a.csv', 'batch', 'done'],
      ['day1/b.csv', 'batch', 'done'],
    ]);
    const byKey = new Map(items.map((d) => [d.source.key, d]));
    const marker = byKey.get('day1/_SUCCESS')!;
    for (const key of ['day1/a.csv', 'day1/b.csv']) {
      const member = byKey.get(key)!;
      // the marker is written once the member is verified, and its source deleted after the member's
      expect(marker.writtenAt).toBeGreaterThanOrEqual(member.verifiedAt!);
      expect(marker.sourceDeletedAt).toBeGreaterThanOrEqual(member.sourceDeletedAt!);
    }

    // the members' events again: their sources are gone, nothing more happens
    await f.queue.publish([f.event('land/in/day1/a.csv'), f.event('land/in/day1/b.csv')]);
    const third = await drain(f.ctx, f.queue, {});
    expect(third).toMatchObject({ routed: 0, failed: 0, acked: 2, nacked: 0, deadLettered: 0 });
    expect(await f.queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
    expect(await f.ws.files()).toEqual([
      'land/in/day2/c.csv',
      'wh/raw/day1/_SUCCESS',
      'wh/raw/day1/a.csv',
      'wh/raw/day1/b.csv',
    ]);
  });
});

interface DeliveryView {
  source: string;
  route: string;
  state: string;
  timeline: { written?: number; verified?: number; sourceDeleted?: number };
}

describe('groups under the folder watcher (switchyard serve, event mode)', () => {
  let ws: Workspace | undefined;
  let served: Served | undefined;
  afterEach(async () => {
    if (served && served.child.exitCode === null) served.child.kill('SIGKILL');
    await served?.exited;
    await ws?.remove();
    ws = undefined;
    served = undefined;
  });

  /** Events the server routed to `waiting`, from /metrics (every origin). */
  async function waitingEvents(url: string): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    let total = 0;
    for (const line of text.split('\n')) {
      const m = /^switchyard_events_total\{([^}]*)\} (\S+)$/.exec(line);
      if (m && /\boutcome="waiting"/.test(m[1]!)) total += Number(m[2]);
    }
    return total;
  }

  it('members landing stay; the marker landing delivers them all, the marker never before a member, then deletes the sources', async () => {
    ws = await Workspace.create(ROUTES);
    await mkdir(ws.file('land/in'), { recursive: true });
    served = await serve(ws);
    const url = served.url;

    await ws.put('land/in/day1/a.csv', 'a');
    await ws.put('land/in/day1/b.csv', 'bb');
    await until(async () => {
      if ((await waitingEvents(url)) < 2) return false;
      const status = (await ws!.run('status', '--json')).json<{
        waiting: Array<{ folder: string; members: number }>;
      }>();
      return status.waiting.some((g) => g.folder === 'land/in/day1' && g.members === 2);
    }, 'the watcher to hand both members and the group to wait');
    expect(await ws.files()).toEqual(['land/in/day1/a.csv', 'land/in/day1/b.csv']);
    expect(await ws.exists('wh')).toBe(false);

    await ws.put('land/in/day1/_SUCCESS', '');
    const seen: string[][] = [];
    const final = ['wh/raw/day1/_SUCCESS', 'wh/raw/day1/a.csv', 'wh/raw/day1/b.csv'];
    await until(async () => {
      const names = await readdir(ws!.file('wh/raw/day1')).catch(() => [] as string[]);
      seen.push(names.filter((n) => !n.startsWith(FS_TEMP_PREFIX)).sort());
      return JSON.stringify(await ws!.files()) === JSON.stringify(final);
    }, 'the group to be delivered and its sources deleted');
    // at no point was the marker in the destination folder without both members
    for (const names of seen)
      if (names.includes('_SUCCESS')) expect(names).toEqual(['_SUCCESS', 'a.csv', 'b.csv']);
    expect((await ws.read('wh/raw/day1/b.csv')).toString()).toBe('bb');

    const answer = await fetch(`${url}/api/deliveries?limit=50`);
    expect(answer.status).toBe(200);
    const items = ((await answer.json()) as { items: DeliveryView[] }).items;
    expect(items.map((d) => [d.source, d.route, d.state]).sort()).toEqual([
      ['land/in/day1/_SUCCESS', 'batch#marker', 'done'],
      ['land/in/day1/a.csv', 'batch', 'done'],
      ['land/in/day1/b.csv', 'batch', 'done'],
    ]);
    const marker = items.find((d) => d.route === 'batch#marker')!;
    for (const member of items.filter((d) => d.route === 'batch')) {
      expect(marker.timeline.written).toBeGreaterThanOrEqual(member.timeline.verified!);
      expect(marker.timeline.sourceDeleted).toBeGreaterThanOrEqual(member.timeline.sourceDeleted!);
    }
    const status = (await ws.run('status', '--json')).json<{ waitingGroups: number }>();
    expect(status.waitingGroups).toBe(0);

    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(served.stderr()).not.toMatch(/error/i);
  });
});
