// Runs the watcher in a child process (from dist/, so `npm run build` must
// have run) to send it a real SIGTERM in the middle of a burst.
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FS_TEMP_PREFIX } from '../../src/storage/fs/store.js';
import { until, walk, WatchBed } from './bed.js';
import { contentFor, runLimited, writeRenamed, writeSlowly } from './writers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, 'sigterm-child.mjs');
const BUILT = path.join(HERE, '..', '..', 'dist', 'triggers', 'fs-watch', 'watcher.js');
const FILES = 2_000;

describe('SIGTERM during a burst', () => {
  let bed: WatchBed | undefined;
  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });

  it('leaves every file either routed with identical bytes or still in its source, and no temp files', async () => {
    expect(existsSync(BUILT), `${BUILT} is missing: run \`npm run build\` first`).toBe(true);
    bed = await WatchBed.open();
    const child = spawn(process.execPath, [CHILD, bed.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await until(() => out.includes('ready') || child.exitCode !== null);
    expect(out).toContain('ready');

    const destDir = path.dirname(bed.destination('x'));
    const expected = new Map<string, Buffer>();
    const open = new Set<string>();
    const tasks: Array<() => Promise<void>> = [];
    for (let i = 0; i < FILES; i++) {
      const name = `f${String(i).padStart(4, '0')}.bin`;
      const content = contentFor(i, 100 + ((i * 53) % 6000));
      expected.set(name, content);
      tasks.push(() =>
        i % 10 === 0
          ? writeSlowly(bed!.source(''), name, content, 3, 20, open)
          : writeRenamed(bed!.source(''), name, content, i),
      );
    }
    const writing = runLimited(tasks, 32);
    await until(async () => (await walk(destDir)).length >= 200 || child.exitCode !== null);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped');
    await writing;

    const routed = new Set(await walk(destDir));
    const left = new Set(await walk(bed.source('')));
    expect(routed.size).toBeGreaterThan(0);
    expect(left.size).toBeGreaterThan(0);
    for (const [name, content] of expected) {
      const where = [routed.has(name) ? 'routed' : '', left.has(name) ? 'source' : ''].filter(Boolean);
      expect(where, name).toHaveLength(1);
      const file = routed.has(name) ? bed.destination(name) : bed.source(name);
      expect((await fsp.readFile(file)).equals(content), name).toBe(true);
    }
    expect(routed.size + left.size).toBe(FILES);
    expect([...(await walk(bed.data))].filter((f) => path.basename(f).startsWith(FS_TEMP_PREFIX))).toEqual(
      [],
    );

    const store = await bed.ctx.stores.storeFor('lake');
    const listed = await store.list('raw', { pageSize: 10_000 });
    expect(listed.items.map((i) => i.key).sort()).toEqual([...routed].map((n) => `in/${n}`).sort());
    expect((await bed.doneDeliveries()).length).toBe(routed.size);
  }, 120_000);
});
