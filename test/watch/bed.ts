import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32cOf } from '../../src/storage/checksum.js';
import { loadConfig } from '../../src/config/load.js';
import type { DeliveryRecord } from '../../src/ledger/types.js';
import { silentLogger } from '../../src/util/log.js';
import { openContext, type Context } from '../../src/runtime/context.js';

/** One local source bucket (`landing/inbox`) routed whole to `lake/raw/in/`. */
export const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
landing,inbox,.,lake,raw,in
`;

/** A temp folder with a data root, a SQLite ledger and an open Context. */
export class WatchBed {
  private constructor(
    readonly dir: string,
    readonly ctx: Context,
  ) {}

  static async open(routes = ROUTES): Promise<WatchBed> {
    const dir = await fsp.mkdtemp(path.join(tmpdir(), 'switchyard-watch-'));
    await fsp.writeFile(path.join(dir, 'routes.csv'), routes);
    await fsp.mkdir(path.join(dir, 'data', 'landing', 'inbox'), { recursive: true });
    const config = await loadConfig({ routes: 'routes.csv', data: 'data', state: 'state' }, {}, dir);
    return new WatchBed(dir, await openContext(config, silentLogger()));
  }

  get data(): string {
    return path.join(this.dir, 'data');
  }

  /** Path of a source file (`landing/inbox/<key>`). */
  source(key: string): string {
    return path.join(this.data, 'landing', 'inbox', ...key.split('/'));
  }

  /** Path of the routed file (`lake/raw/in/<name>`). */
  destination(name: string): string {
    return path.join(this.data, 'lake', 'raw', 'in', name);
  }

  /** Every `done` delivery in the ledger. */
  async doneDeliveries(): Promise<DeliveryRecord[]> {
    const all: DeliveryRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.ctx.reports.query({
        states: ['done'],
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  }

  async close(): Promise<void> {
    await this.ctx.close();
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}

export async function exists(file: string): Promise<boolean> {
  return fsp.stat(file).then(
    () => true,
    () => false,
  );
}

export async function crcOfFile(file: string): Promise<string> {
  return crc32cOf(await fsp.readFile(file));
}

/** Polls `check` until it holds (no timing asserted: the test's timeout is the limit). */
export async function until(check: () => Promise<boolean> | boolean, everyMs = 20): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, everyMs));
}

/** Every file under `dir`, relative, `/`-separated. */
export async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (d: string, prefix: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await visit(path.join(d, e.name), rel);
      else out.push(rel);
    }
  };
  await visit(dir, '');
  return out.sort();
}
