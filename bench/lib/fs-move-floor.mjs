// The parts of an fs→fs move that no implementation keeping switchyard's
// guarantees can skip, each timed alone on the same machine in the same run:
// - the ledger: what the router asks of it for a no-clobber move, in batches
//   of 512, straight on the SQLite ledger (no router, no file system): a hold
//   (one read; Ledger.holdMany) and the `done` record inserted once;
// - the system calls a no-clobber, generation-checked move makes, from Node,
//   synchronously (no thread pool, no promises, no ledger): lstat from the
//   listing, link into the destination, lstat of the link, lstat of the
//   source, unlink, and one fsync per folder per 1,000 files.
// `fs-move.mjs` adds switchyard's start-up (a scan of an empty folder) and
// compares start-up + max(ledger, system calls), the best two cores could do,
// with rclone's time.
import {
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  unlinkSync,
} from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './common.mjs';

const BATCH = 512;

/** Milliseconds to hold and record `count` moves done on a fresh SQLite ledger in `dir`. */
export async function ledgerFloorMs(dir, count) {
  const dist = (file) => pathToFileURL(path.join(ROOT, 'dist', file)).href;
  const { openSqliteLedger } = await import(dist('ledger/sqlite/ledger.js'));
  const { deliveryId } = await import(dist('ledger/delivery-id.js'));
  const store = await openSqliteLedger(path.join(dir, 'ledger.db'));
  const { ledger } = store;
  const plans = [];
  for (let i = 0; i < count; i++) {
    const finance = i % 2 === 1;
    const key = `${finance ? 'finance' : 'sale'}_${String(i).padStart(6, '0')}.csv`;
    const source = { project: 'source_bucket', bucket: 'raw_data', key };
    const generation = `${1_700_000_000_000_000_000 + i}-4096-${1000 + i}`;
    const routeId = finance ? 'row-1' : 'row-2';
    plans.push({
      id: deliveryId(source, generation, routeId),
      source,
      generation,
      routeId,
      destination: { project: finance ? 'finance' : 'sales', bucket: 'raw_data', key },
      action: 'move',
      size: 4096,
    });
  }
  const started = process.hrtime.bigint();
  try {
    for (let i = 0; i < plans.length; i += BATCH) {
      const batch = plans.slice(i, i + BATCH);
      await ledger.holdMany(batch, 'bench', 15_000);
      const at = Date.now();
      await ledger.transitionMany(
        batch.map((p) => ({
          id: p.id,
          state: 'done',
          patch: { bytesThroughProcess: 0, sourceDeletedAt: at },
        })),
        'bench',
      );
    }
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    await store.close();
  }
}

/** Milliseconds to move every file of `source` into `destinationFor(name)` with the system calls alone. */
export function syscallFloorMs(source, destinationFor) {
  const started = process.hrtime.bigint();
  const names = readdirSync(source);
  const folders = new Set([source]);
  const syncFolders = () => {
    for (const folder of folders) {
      const fd = openSync(folder, 'r');
      fsyncSync(fd);
      closeSync(fd);
    }
  };
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const from = path.join(source, name);
    const folder = destinationFor(name);
    if (!folders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      folders.add(folder);
    }
    const to = path.join(folder, name);
    const listed = lstatSync(from, { bigint: true });
    linkSync(from, to);
    const linked = lstatSync(to, { bigint: true });
    const still = lstatSync(from, { bigint: true });
    if (linked.ino !== listed.ino || still.ino !== linked.ino)
      throw new Error(`${from} changed during the floor run`);
    unlinkSync(from);
    if ((i + 1) % 1000 === 0) syncFolders();
  }
  syncFolders();
  return Number(process.hrtime.bigint() - started) / 1e6;
}
