import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { ObjectEvent } from '../../src/model/event.js';
import { silentLogger } from '../../src/util/log.js';
import { openContext, type Context } from '../../src/runtime/context.js';
import type { Notifier } from '../../src/signals/notifier.js';
import { compileReferential, loadReferentialText, validateRows } from '../../src/referential/index.js';
import { referentialOf } from '../../src/referential/referential.js';
import { FsStore } from '../../src/storage/fs/store.js';
import type { ObjectStore } from '../../src/storage/types.js';
import { Workspace } from './workspace.js';

export interface RouterFixture {
  ws: Workspace;
  ctx: Context;
  event(location: string, extra?: Partial<ObjectEvent>): ObjectEvent;
  /** The fs store of a project, wrapped: `overrides` replace its methods. */
  wrap(project: string, overrides: Partial<Record<keyof ObjectStore, unknown>>): FsStore;
  close(): Promise<void>;
}

/** A Router over fs + SQLite in a temp workspace, for tests that need to reach inside. */
export async function routerFixture(
  routesCsv: string,
  options: {
    maxAttempts?: number;
    baseDelayMs?: number;
    maxDelayMs?: number;
    /**
     * Route by rows `validate` refuses, as if its check had been bypassed: for
     * the router's own refusals, its second line of defence.
     */
    bypassValidation?: boolean;
    /** Sends the `notify` messages of groups and drains (the test's, e.g. trusting its HTTPS sink). */
    notifier?: Notifier;
  } = {},
): Promise<RouterFixture> {
  const ws = await Workspace.create(routesCsv);
  const config = await loadConfig({}, {}, ws.dir);
  const rows = loadReferentialText(routesCsv, path.join(ws.dir, 'routes.csv'));
  const referential = options.bypassValidation
    ? referentialOf(validateRows(rows, { source: 'routes.csv' }).routes, 'routes.csv')
    : compileReferential(rows, 'routes.csv');
  const ctx = await openContext(config, silentLogger(), {
    referential,
    ...(options.notifier ? { notifier: options.notifier } : {}),
    retry: {
      maxAttempts: options.maxAttempts ?? 3,
      baseDelayMs: options.baseDelayMs ?? 1,
      maxDelayMs: options.maxDelayMs ?? 5,
    },
  });
  return {
    ws,
    ctx,
    event(location, extra = {}) {
      const [project, bucket, ...key] = location.split('/');
      return { project: project!, bucket: bucket!, key: key.join('/'), origin: 'manual', ...extra };
    },
    wrap(project, overrides) {
      const store = new FsStore({ root: path.join(config.dataRoot, project), name: `fs:${project}` });
      for (const [name, fn] of Object.entries(overrides)) {
        Object.defineProperty(store, name, { value: fn, configurable: true, writable: true });
      }
      ctx.stores.register(project, store);
      return store;
    },
    async close() {
      await ctx.close();
      await ws.remove();
    },
  };
}

export async function tempDir(prefix = 'switchyard-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
