// A folder of a source bucket swapped for a symbolic link to a folder outside
// the data root, over and over by another process, while the store scans,
// reads, copies, moves and deletes there: nothing outside may change and no
// outside byte may reach a destination. Local-folder store only (the race is
// between node:fs calls of two processes).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FsStore } from '../../src/storage/fs/store.js';
import type { RenameMove } from '../../src/storage/types.js';
import { listAll, readText } from '../conformance/store-streams.js';
import { snapshotTree } from '../helpers/fs-snapshot.js';

const FILES = 150;
const ROUNDS = 6;

/** Renames `landing` aside, puts a link to `victim` in its place, then puts it back; forever. */
const SWAPPER = `
const fs = require('node:fs');
const [landing, held, victim] = process.argv.slice(1);
process.send('ready');
for (;;) {
  try { fs.renameSync(landing, held); } catch {}
  try { fs.symlinkSync(victim, landing); } catch {}
  for (let i = 0; i < 50; i++) fs.statSync(held, { throwIfNoEntry: false });
  try { fs.unlinkSync(landing); } catch {}
  try { fs.renameSync(held, landing); } catch {}
}`;

let data: string;
let swappers: ChildProcess[] = [];

beforeEach(async () => {
  data = await fsp.mkdtemp(path.join(os.tmpdir(), 'switchyard-fs-race-'));
});
afterEach(async () => {
  for (const child of swappers) child.kill('SIGKILL');
  swappers = [];
  await fsp.rm(data, { recursive: true, force: true });
});

async function startSwapper(landing: string, held: string, victim: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', SWAPPER, landing, held, victim], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise((resolve) => child.once('message', resolve));
  return child;
}

async function stopSwapper(child: ChildProcess, landing: string, held: string): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  if (lstatSync(landing, { throwIfNoEntry: false })?.isSymbolicLink()) await fsp.unlink(landing);
  // the store may have made the folder again while it was away: then both stay
  if (existsSync(held) && !existsSync(landing)) await fsp.rename(held, landing);
}

const settle = (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e);

it('a folder swapped for a link to outside the data root, while the store works in it, changes nothing outside', async () => {
  const root = path.join(data, 'proj');
  const landing = path.join(root, 'src', 'landing');
  const victim = path.join(data, 'outside', 'victim');
  await fsp.mkdir(landing, { recursive: true });
  await fsp.mkdir(victim, { recursive: true });
  for (let i = 0; i < FILES; i++) {
    await fsp.writeFile(path.join(landing, `f${i}.csv`), `inside ${i}`);
    await fsp.writeFile(path.join(victim, `f${i}.csv`), `OUTSIDE ${i}`);
  }
  await fsp.writeFile(path.join(victim, '.switchyard-tmp-old'), 'OUTSIDE temp-looking file');
  await fsp.utimes(path.join(victim, '.switchyard-tmp-old'), 0, 0);
  // the destination side too: the folder copies land in, swapped for a link to an outside folder
  const copied = path.join(root, 'dst', 'copied');
  const victim2 = path.join(data, 'outside', 'victim2');
  await fsp.mkdir(copied, { recursive: true });
  await fsp.mkdir(victim2, { recursive: true });
  await fsp.writeFile(path.join(victim2, 'keep.txt'), 'OUTSIDE keep');
  const outsideBefore = await snapshotTree(path.join(data, 'outside'));
  const store = new FsStore({ root, name: 'fs:proj' });
  const held = path.join(root, 'src', 'landing.held');
  const held2 = path.join(root, 'dst', 'copied.held');
  swappers = [await startSwapper(landing, held, victim), await startSwapper(copied, held2, victim2)];

  for (let round = 0; round < ROUNDS; round++) {
    await settle(listAll(store, 'src', '', 17));
    await settle(store.cleanup('src', 0));
    // half of a moving round's files go together, through renameMany, into the swapped destination folder
    const batch: RenameMove[] = [];
    for (let i = round; i < FILES; i += 2) {
      const key = `landing/f${i}.csv`;
      const info = await settle(store.stat('src', key));
      await settle(readText(store, 'src', key));
      await settle(store.readChecksum('src', key));
      await settle(
        store.copy(store, { bucket: 'src', key }, { bucket: 'dst', key: `copied/${round}/f${i}.csv` }),
      );
      if (round % 3 === 0) await settle(store.delete('src', key));
      else if (round % 3 === 1) {
        const generation = (info as { generation?: string } | undefined)?.generation;
        await settle(store.delete('src', key, generation ? { ifGenerationMatch: generation } : {}));
      } else if (i % 4 < 2) {
        await settle(
          store.rename(store, { bucket: 'src', key }, { bucket: 'dst', key: `moved/${round}/f${i}.csv` }),
        );
      } else {
        const generation = (info as { generation?: string } | undefined)?.generation;
        const to = { bucket: 'dst', key: `copied/m${round}/f${i}.csv` };
        if (generation) batch.push({ from: { bucket: 'src', key }, to, generation });
      }
    }
    if (batch.length > 0) await settle(store.renameMany(store, batch, async () => undefined));
  }
  await stopSwapper(swappers[0]!, landing, held);
  await stopSwapper(swappers[1]!, copied, held2);
  swappers = [];

  expect(await snapshotTree(path.join(data, 'outside'))).toEqual(outsideBefore);
  const delivered = await snapshotTree(path.join(root, 'dst')).catch(() => ({}));
  const leaked = [];
  for (const [name, entry] of Object.entries(delivered)) {
    if (entry.type !== 'file') continue;
    const text = await fsp.readFile(path.join(root, 'dst', name), 'utf8');
    if (text.startsWith('OUTSIDE')) leaked.push(name);
  }
  expect(leaked, 'outside content delivered').toEqual([]);
});
