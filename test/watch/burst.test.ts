import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startWatcher, type Watcher, type WatchReport } from '../../src/triggers/fs-watch/watcher.js';
import { routerSink, type EventSink } from '../../src/intake/sink.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { crcOfFile, until, walk, WatchBed } from './bed.js';
import { contentFor, runLimited, writeRenamed, writeSlowly } from './writers.js';

const FILES = 10_000;

describe('folder watcher under a burst', () => {
  let bed: WatchBed | undefined;
  let watcher: Watcher | undefined;
  afterEach(async () => {
    await watcher?.stop();
    await bed?.close();
    watcher = bed = undefined;
  });

  it('routes 10,000 files written concurrently exactly once, never while being written', async () => {
    bed = await WatchBed.open();
    const open = new Set<string>();
    const routedWhileOpen: string[] = [];
    const router = routerSink(bed.ctx.router);
    const sink: EventSink = async (event) => {
      const name = path.basename(event.key);
      if (open.has(name)) routedWhileOpen.push(name);
      return router(event);
    };
    const reports: WatchReport[] = [];
    watcher = await startWatcher(bed.ctx, sink, { concurrency: 8, onResult: (r) => reports.push(r) });

    const expected = new Map<string, string>();
    const sizes = new Map<string, number>();
    const tasks: Array<() => Promise<void>> = [];
    for (let i = 0; i < FILES; i++) {
      const folder = i % 11 === 0 ? '' : `d${i % 11}`;
      const name = `f${String(i).padStart(5, '0')}.bin`;
      const dir = bed.source(folder);
      const kind = i % 20;
      const content = kind === 0 ? Buffer.alloc(0) : contentFor(i, 64 + ((i * 37) % 4000));
      expected.set(name, crc32cOf(content));
      sizes.set(name, content.length);
      if (kind === 1 || kind === 2) {
        tasks.push(async () => {
          await fsp.mkdir(dir, { recursive: true });
          await writeSlowly(dir, name, content, 4, 30, open);
        });
      } else if (kind === 0) {
        tasks.push(async () => {
          await fsp.mkdir(dir, { recursive: true });
          await fsp.writeFile(path.join(dir, name), content);
        });
      } else {
        tasks.push(async () => {
          await fsp.mkdir(dir, { recursive: true });
          await writeRenamed(dir, name, content, i);
        });
      }
    }
    await runLimited(tasks, 64);
    const destDir = path.dirname(bed.destination('x'));
    await until(
      async () => (await walk(bed!.source(''))).length === 0 && (await walk(destDir)).length === FILES,
      100,
    );
    await watcher.idle();

    expect(routedWhileOpen).toEqual([]);
    const routed = (await walk(destDir)).sort();
    expect(routed).toEqual([...expected.keys()].sort());
    for (const [name, crc] of expected) expect(await crcOfFile(bed.destination(name)), name).toBe(crc);

    const done = await bed.doneDeliveries();
    expect(done.length).toBe(FILES);
    expect(new Set(done.map((d) => `${d.source.bucket}/${d.source.key}`)).size).toBe(FILES);
    for (const d of done) expect(d.size, d.source.key).toBe(sizes.get(path.basename(d.source.key)));

    const routedReports = reports.filter((r) => r.result?.outcome === 'routed');
    expect(routedReports.length).toBe(FILES);
    const rules = new Set(routedReports.map((r) => r.rule));
    expect(rules.has('settled')).toBe(!watcher.probing);
  }, 240_000);
});
