import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startWatcher,
  type Watcher,
  type WatcherOptions,
  type WatchReport,
} from '../../src/triggers/fs-watch/watcher.js';
import { routerSink, type EventSink } from '../../src/intake/sink.js';
import { FS_TEMP_PREFIX } from '../../src/storage/fs/store.js';
import { exists, ROUTES, until, walk, WatchBed } from './bed.js';
import { appendInBursts, writeSlowly } from './writers.js';

describe('folder watcher', () => {
  let bed: WatchBed | undefined;
  let watcher: Watcher | undefined;
  afterEach(async () => {
    await watcher?.stop();
    await bed?.close();
    watcher = bed = undefined;
  });

  /** Starts a watcher on a fresh bed; `open` names files a test writer holds open, which the sink must never see. */
  async function start(options: WatcherOptions = {}, wrap?: (sink: EventSink) => EventSink) {
    bed = await WatchBed.open();
    const reports: WatchReport[] = [];
    const open = new Set<string>();
    const seenWhileOpen: string[] = [];
    const router = routerSink(bed.ctx.router);
    const guarded: EventSink = async (event) => {
      if (open.has(path.basename(event.key))) seenWhileOpen.push(event.key);
      return router(event);
    };
    watcher = await startWatcher(bed.ctx, wrap ? wrap(guarded) : guarded, {
      ...options,
      onResult: (r) => reports.push(r),
    });
    return { bed, watcher, reports, open, seenWhileOpen };
  }

  const routedKeys = (reports: WatchReport[]) =>
    reports
      .filter((r) => r.result?.outcome === 'routed')
      .map((r) => r.event.key)
      .sort();

  it('routes files already there when it starts, sub-folders and empty files included', async () => {
    bed = await WatchBed.open();
    await fsp.mkdir(bed.source('2024/q1'), { recursive: true });
    await fsp.writeFile(bed.source('a.csv'), 'a,b\n1,2\n');
    await fsp.writeFile(bed.source('2024/q1/b.csv'), 'b\n');
    await fsp.writeFile(bed.source('empty.csv'), '');
    const reports: WatchReport[] = [];
    watcher = await startWatcher(bed.ctx, routerSink(bed.ctx.router), { onResult: (r) => reports.push(r) });
    await watcher.idle();

    expect(routedKeys(reports)).toEqual(['2024/q1/b.csv', 'a.csv', 'empty.csv']);
    expect(await fsp.readFile(bed.destination('a.csv'), 'utf8')).toBe('a,b\n1,2\n');
    expect(await fsp.readFile(bed.destination('b.csv'), 'utf8')).toBe('b\n');
    expect(await fsp.readFile(bed.destination('empty.csv'), 'utf8')).toBe('');
    expect(await walk(bed.source(''))).toEqual([]);
  });

  it('ignores temp names until the file is renamed to its real name', async () => {
    const { bed, watcher, reports } = await start();
    const temps = [
      'a.csv.tmp',
      'b.csv.part',
      'c.csv.partial',
      '.~d.csv',
      '~$e.xlsx',
      '.f.csv.swp',
      `${FS_TEMP_PREFIX}g`,
    ];
    for (const name of temps) await fsp.writeFile(bed.source(name), name);
    await fsp.writeFile(bed.source('sentinel.csv'), 'x');
    await until(() => exists(bed.destination('sentinel.csv')));
    await watcher.rescan();
    await watcher.idle();
    expect((await walk(bed.source(''))).sort()).toEqual([...temps].sort());
    expect(routedKeys(reports)).toEqual(['sentinel.csv']);

    await fsp.rename(bed.source('a.csv.tmp'), bed.source('a.csv'));
    await fsp.rename(bed.source('.~d.csv'), bed.source('d.csv'));
    await until(
      async () => (await exists(bed.destination('a.csv'))) && (await exists(bed.destination('d.csv'))),
    );
    await watcher.idle();
    expect(await fsp.readFile(bed.destination('a.csv'), 'utf8')).toBe('a.csv.tmp');
    expect(await fsp.readFile(bed.destination('d.csv'), 'utf8')).toBe('.~d.csv');
    expect(routedKeys(reports)).toEqual(['a.csv', 'd.csv', 'sentinel.csv']);
  });

  it('waits for a writer holding the file open, then routes the whole file (the /proc probe)', async (context) => {
    const { bed, watcher, reports, open, seenWhileOpen } = await start();
    if (!watcher.probing) context.skip('no working /proc open-writer probe on this platform');
    const content = Buffer.alloc(64 * 1024, 7);
    await writeSlowly(bed.source(''), 'slow.bin', content, 6, 60, open);
    await until(() => exists(bed.destination('slow.bin')));
    await watcher.idle();
    expect(seenWhileOpen).toEqual([]);
    expect((await fsp.readFile(bed.destination('slow.bin'))).equals(content)).toBe(true);
    expect(reports.map((r) => [r.event.key, r.rule, r.result?.outcome])).toEqual([
      ['slow.bin', 'closed', 'routed'],
    ]);
  });

  it('settles (size and mtime unchanged for settleMs) when the probe is off', async () => {
    const { bed, watcher, reports, open, seenWhileOpen } = await start({ probe: false, settleMs: 400 });
    expect(watcher.probing).toBe(false);
    const content = Buffer.alloc(32 * 1024, 3);
    await writeSlowly(bed.source(''), 'slow.bin', content, 5, 100, open);
    await fsp.writeFile(bed.source('r.csv.tmp'), 'renamed');
    await fsp.rename(bed.source('r.csv.tmp'), bed.source('r.csv'));
    await until(
      async () => (await exists(bed.destination('slow.bin'))) && (await exists(bed.destination('r.csv'))),
    );
    await watcher.idle();
    expect(seenWhileOpen).toEqual([]);
    expect((await fsp.readFile(bed.destination('slow.bin'))).equals(content)).toBe(true);
    expect(reports.map((r) => [r.event.key, r.rule, r.result?.outcome]).sort()).toEqual([
      ['r.csv', 'settled', 'routed'],
      ['slow.bin', 'settled', 'routed'],
    ]);
  });

  it('a quiet period routes a file appended and closed in bursts once, whole, after its last append', async () => {
    const { bed, watcher, reports } = await start({ quiet: { default: 1_000, buckets: {} } });
    expect(watcher.buckets.map((b) => b.quietMs)).toEqual([1_000]);
    const pieces = [0, 1, 2, 3, 4, 5].map((i) => Buffer.from(`line ${i}\n`.repeat(50)));
    const lastAppend = await appendInBursts(bed.source('shipped.log'), pieces, 300);
    await until(() => exists(bed.destination('shipped.log')));
    await watcher.idle();
    expect(await fsp.readFile(bed.destination('shipped.log'))).toEqual(Buffer.concat(pieces));
    expect(reports.map((r) => [r.event.key, r.rule, r.result?.outcome])).toEqual([
      ['shipped.log', 'quiet', 'routed'],
    ]);
    expect(reports[0]!.completeAt - lastAppend).toBeGreaterThanOrEqual(1_000);
  });

  it('a quiet period applies to the buckets it names; elsewhere the open-writer probe stays the fast path', async (context) => {
    bed = await WatchBed.open(`${ROUTES}landing,sftp,.,lake,raw,sftp\n`);
    const reports: WatchReport[] = [];
    bed.ctx.config.watch = { settle: { buckets: { 'landing/sftp': 800 } } };
    watcher = await startWatcher(bed.ctx, routerSink(bed.ctx.router), { onResult: (r) => reports.push(r) });
    if (!watcher.probing) context.skip('no working /proc open-writer probe on this platform');
    expect(watcher.buckets.map((b) => [b.bucket, b.quietMs]).sort()).toEqual([
      ['inbox', 0],
      ['sftp', 800],
    ]);
    const sftp = path.join(bed.data, 'landing', 'sftp', 'b.csv');
    const written = Date.now();
    await fsp.writeFile(bed.source('a.csv'), 'a');
    await fsp.writeFile(sftp, 'b');
    await until(() => exists(path.join(bed!.data, 'lake', 'raw', 'sftp', 'b.csv')));
    await watcher.idle();
    const byKey = Object.fromEntries(reports.map((r) => [r.event.key, r]));
    expect(['no-writer', 'closed']).toContain(byKey['a.csv']?.rule);
    expect(byKey['b.csv']?.rule).toBe('quiet');
    expect(byKey['b.csv']!.completeAt - written).toBeGreaterThanOrEqual(800);
    expect(byKey['a.csv']!.completeAt).toBeLessThan(byKey['b.csv']!.completeAt);
  });

  it('without the probe, a quiet period longer than settleMs is the time a file must stay unchanged', async () => {
    const { bed, watcher, reports } = await start({
      probe: false,
      settleMs: 200,
      quiet: { default: 900, buckets: {} },
    });
    const noticed = Date.now();
    await fsp.writeFile(bed.source('q.csv'), 'q');
    await until(() => exists(bed.destination('q.csv')));
    await watcher.idle();
    expect(reports.map((r) => [r.event.key, r.rule])).toEqual([['q.csv', 'quiet']]);
    expect(reports[0]!.completeAt - noticed).toBeGreaterThanOrEqual(900);
  });

  it('watches folders created after it started', async () => {
    const { bed, watcher, reports } = await start();
    await fsp.mkdir(bed.source('new/deeper'), { recursive: true });
    await fsp.writeFile(bed.source('new/one.csv'), '1');
    await fsp.writeFile(bed.source('new/deeper/two.csv'), '2');
    await until(
      async () => (await exists(bed.destination('one.csv'))) && (await exists(bed.destination('two.csv'))),
    );
    await watcher.idle();
    expect(routedKeys(reports)).toEqual(['new/deeper/two.csv', 'new/one.csv']);
  });

  it('hands a file again after a non-terminal answer, and never twice at once', async () => {
    let calls = 0;
    let active = 0;
    let overlapped = false;
    let source = '';
    let rescan: () => Promise<void> = async () => undefined;
    const { bed, watcher, reports } = await start({}, (sink) => async (event) => {
      calls++;
      if (++active > 1) overlapped = true;
      try {
        const now = new Date();
        await fsp.utimes(source, now, now);
        await rescan();
        if (calls === 1)
          return { outcome: 'failed', retryAfterMs: 20, error: { code: 'E_TEST', message: 'try later' } };
        return await sink(event);
      } finally {
        active--;
      }
    });
    source = bed.source('x.csv');
    rescan = () => watcher.rescan();
    await fsp.writeFile(source, 'x');
    await until(() => exists(bed.destination('x.csv')));
    await watcher.idle();
    expect(overlapped).toBe(false);
    expect(reports.map((r) => r.result?.outcome)).toEqual(['failed', 'routed']);
    expect(await fsp.readFile(bed.destination('x.csv'), 'utf8')).toBe('x');
  });

  it('stop() waits for the sink calls in flight and hands nothing more', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let entered = 0;
    const { bed, watcher } = await start({ concurrency: 1 }, (sink) => async (event) => {
      entered++;
      await gate;
      return sink(event);
    });
    await fsp.writeFile(bed.source('one.csv'), '1');
    await fsp.writeFile(bed.source('two.csv'), '2');
    await until(() => entered === 1);
    let stopped = false;
    const stopping = watcher.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(entered).toBe(1);
    const routed = (await walk(path.dirname(bed.destination('x')))).length;
    const left = (await walk(bed.source(''))).length;
    expect([routed, left]).toEqual([1, 1]);
  });
});
