import { lstat, mkdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { ReferentialInvalidError } from '../../src/model/errors.js';
import { startWatcher } from '../../src/triggers/fs-watch/watcher.js';
import { drain } from '../../src/drains/batch.js';
import { queueSink, routerSink } from '../../src/intake/sink.js';
import { openSqliteQueue, type SqliteQueue } from '../../src/queue/sqlite/queue.js';
import type { ObjectEvent } from '../../src/model/event.js';
import { silentLogger } from '../../src/util/log.js';
import { openContext, type Context } from '../../src/runtime/context.js';
import { scan } from '../../src/modes/scan.js';
import { FsStore } from '../../src/storage/fs/store.js';
import { generationOf } from '../../src/storage/fs/paths.js';
import { Workspace } from '../helpers/workspace.js';
import { Model, type Landing, type Observation } from './model.js';
import { observe } from './observe.js';
import {
  NAMES,
  OUTSIDE_FILES,
  referentialCsv,
  SWAPPABLE_FOLDER,
  type Action,
  type LandingBucket,
  type Scenario,
} from './palette.js';

/**
 * One property case on a real temp data root: fs stores, a SQLite ledger, the
 * referential read from routes.csv as a running process reads it. Beside the
 * data root lies `outside/`, a folder switchyard must never touch, which a
 * swapped link may point to.
 */
export class Bed {
  readonly model = new Model();
  readonly trace: string[] = [];
  private ctx: Context | undefined;
  /** The SQLite queue of the state folder, opened at the first `enqueue` or `drain`. */
  private queue: SqliteQueue | undefined;
  private swaps = 0;
  /** Runs once, right after the next listing of a `land` bucket returns (an action racing a scan). */
  private afterList: (() => Promise<void>) | undefined;

  private constructor(
    readonly ws: Workspace,
    readonly outside: string,
  ) {}

  static async open(scenario: Scenario): Promise<Bed> {
    const ws = await Workspace.create(referentialCsv(scenario));
    const bed = new Bed(ws, path.join(ws.dir, 'outside'));
    await mkdir(path.join(ws.data, 'land', 'in'), { recursive: true });
    await mkdir(path.join(bed.outside, 'target'), { recursive: true });
    for (const name of OUTSIDE_FILES)
      await writeFile(path.join(bed.outside, 'target', name), `OUTSIDE ${name}, never to be touched`);
    await writeFile(path.join(bed.outside, 'sibling.csv'), 'OUTSIDE sibling');
    if (scenario.hazard === 'mirror') {
      const target = path.join(ws.data, 'land', 'in');
      await symlink(target, path.join(ws.data, 'land', 'mirror'));
      bed.model.links.set('land/mirror', { target, inside: 'land/in' });
    }
    bed.model.outsideAtStart = (await bed.look()).outside;
    const config = await loadConfig({}, {}, ws.dir);
    try {
      bed.ctx = await openContext(config, silentLogger(), {
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      });
      bed.model.inEffect(bed.ctx.referential().routes);
      bed.ctx.stores.register('land', bed.landStore(config.dataRoot));
    } catch (error) {
      // Refusing a hazardous referential at start is a safe answer: nothing routes.
      const mixedPolicies =
        error instanceof ReferentialInvalidError &&
        error.problems.some((p) => p.message.startsWith('E_CONFLICT_POLICY_MIXED'));
      if (!(error instanceof ReferentialInvalidError) || (scenario.hazard === 'none' && !mixedPolicies)) {
        await ws.remove();
        throw error;
      }
      bed.trace.push(`start: referential refused (${error.code})`);
    }
    return bed;
  }

  /** The `land` project's fs store, its listing followed by the armed `afterList`. */
  private landStore(dataRoot: string): FsStore {
    const store = new FsStore({ root: path.join(dataRoot, 'land'), name: 'fs:land' });
    const list = store.list.bind(store);
    const listThenHook = async (...args: Parameters<FsStore['list']>) => {
      const page = await list(...args);
      const hook = this.afterList;
      this.afterList = undefined;
      await hook?.();
      return page;
    };
    Object.defineProperty(store, 'list', { value: listThenHook });
    return store;
  }

  get running(): boolean {
    return this.ctx !== undefined;
  }

  look(): Promise<Observation> {
    return observe(this.ws.data, this.outside);
  }

  async close(): Promise<void> {
    await this.queue?.close();
    await this.ctx?.close();
    await this.ws.remove();
  }

  /** Runs one action; the returned line says what happened, for the trace. */
  async act(action: Action, step: number): Promise<string> {
    const obs = await this.look();
    switch (action.kind) {
      case 'land':
        return this.land(`land/${action.bucket}/${pickName(action.name)}`, action.bytes, step, obs);
      case 'landAgain':
        return this.landAgain(action.pick, action.keepMtime, step, obs);
      case 'scan':
        return this.scan();
      case 'event':
        return this.event(action.pick, action.twice, obs);
      case 'enqueue':
        return this.enqueue(action.pick, obs);
      case 'drain':
        return this.drain(action.maxBatch);
      case 'watch':
        return this.watch(action.pick);
      case 'watcherRun':
        return this.watcherRun();
      case 'moveBack':
        return this.moveBack(action.pick, step, obs);
      case 'take':
        return this.take(action.pick, step, obs);
      case 'rename':
        return this.renameLanded(action.pick, action.name, obs);
      case 'swapLink':
        return action.duringScan
          ? this.duringScan({ ...action, duringScan: false }, step)
          : this.swapLink(action.bucket);
      case 'truncate':
        return this.truncate(action.keepPercent);
      case 'duringScan':
        return this.duringScan(action.inner, step);
    }
  }

  /**
   * A producer puts bytes at `location`, stamping the mtime its own copy had
   * (as `rsync -t` or `cp -p` do): a time of its own per landing, or, sent
   * again, the earlier landing's.
   */
  private async land(
    location: string,
    bytes: string,
    step: number,
    obs: Observation,
    mtime = producerTime(step),
  ): Promise<string> {
    if (!(await this.isFree(location, obs))) return `skip: ${location} taken or under a link`;
    const file = await this.ws.put(location, Buffer.from(bytes, 'hex'));
    await utimes(file, mtime, mtime);
    const generation = generationOf(await stat(file, { bigint: true }));
    this.model.landed(bytes, location, step, generation);
    return `landed ${bytes} at ${location} (generation ${generation})`;
  }

  /** The same bytes as an earlier landing, sent again to its place once that place is free. */
  private async landAgain(pick: number, keepMtime: boolean, step: number, obs: Observation): Promise<string> {
    const earlier = choose(this.model.landings, pick);
    if (!earlier) return 'skip: nothing landed yet';
    const mtime = producerTime(keepMtime ? earlier.step : step);
    return this.land(earlier.location, earlier.bytes, step, obs, mtime);
  }

  private async scan(): Promise<string> {
    if (!this.ctx) return 'skip: not running';
    const report = await scan(this.ctx, { concurrency: 2 });
    const errors = report.errors.map((e) => `${e.source} ${e.code}`).join('; ');
    const stale = await this.staleUnrouted();
    if (stale.length)
      throw new Error(`after a whole scan, unrouted entries name no file: ${stale.join(', ')}`);
    return `scan: ${JSON.stringify(report.outcomes)}${errors ? ` errors: ${errors}` : ''}`;
  }

  /**
   * Open unrouted entries, in the source buckets the referential lists, that
   * name no regular file under the data root now: after a whole scan there
   * are none (a file routed since, or moved away by hand, is resolved).
   */
  private async staleUnrouted(): Promise<string[]> {
    const ctx = this.ctx!;
    const listed = new Set(
      ctx
        .referential()
        .sources()
        .map((s) => `${s.project}/${s.bucket}`),
    );
    const files = (await this.look()).files;
    return (await ctx.reports.listUnrouted(10_000))
      .map((u) => `${u.source.project}/${u.source.bucket}/${u.source.key}`)
      .filter((at) => listed.has(at.split('/').slice(0, 2).join('/')) && !files.has(at));
  }

  /** A notification for a landing (present or gone) or for a file under a swapped link; maybe sent twice at once. */
  private async event(pick: number, twice: boolean, obs: Observation): Promise<string> {
    if (!this.ctx) return 'skip: not running';
    const event = notification(this.model.landings, obs, pick);
    if (!event) return 'skip: no target';
    const router = this.ctx.router;
    const results = await Promise.all((twice ? [1, 2] : [1]).map(() => router.route(event)));
    return `event ${event.project}/${event.bucket}/${event.key}: ${results.map((r) => r.outcome + (r.error ? ` ${r.error.code}` : '')).join(', ')}`;
  }

  /** The same notification, queued for a later drain instead of routed now. */
  private async enqueue(pick: number, obs: Observation): Promise<string> {
    if (!this.ctx) return 'skip: not running';
    const event = notification(this.model.landings, obs, pick);
    if (!event) return 'skip: no target';
    await queueSink(await this.openQueue())(event);
    return `queued ${event.project}/${event.bucket}/${event.key}`;
  }

  /** One drain of the queue (`switchyard batch`), pulling `maxBatch` messages at a time. */
  private async drain(maxBatch: number): Promise<string> {
    if (!this.ctx) return 'skip: not running';
    const report = await drain(this.ctx, await this.openQueue(), {
      maxBatch,
      concurrency: 2,
      baseDelayMs: 1,
      maxDelayMs: 2,
    });
    const { messages, routed, failed, dead, acked, nacked } = report;
    return `drain: ${JSON.stringify({ messages, routed, failed, dead, acked, nacked })}`;
  }

  private async openQueue(): Promise<SqliteQueue> {
    this.queue ??= await openSqliteQueue(path.join(this.ctx!.config.stateDir, 'queue.db'));
    return this.queue;
  }

  /** What the watcher hands the sink for a complete file (see fs-watch-pending `complete`). */
  private async watch(pick: number): Promise<string> {
    if (!this.ctx) return 'skip: not running';
    const landing = choose(this.model.landings, pick);
    if (!landing) return 'skip: nothing landed yet';
    const st = await stat(this.ws.file(landing.location), { bigint: true }).catch(() => undefined);
    if (!st?.isFile()) return `skip: ${landing.location} not there`;
    const [project, bucket, ...key] = landing.location.split('/');
    const answer = await routerSink(this.ctx.router)({
      project: project!,
      bucket: bucket!,
      key: key.join('/'),
      generation: generationOf(st),
      size: Number(st.size),
      eventTime: new Date(Number(st.mtimeNs / 1_000_000n)).toISOString(),
      origin: 'fs',
    });
    return `watch ${landing.location}: ${answer.outcome}`;
  }

  /** The real watcher started on the landing folders, left until it has handed every file it found, then stopped. */
  private async watcherRun(): Promise<string> {
    if (!this.ctx) return 'skip: not running';
    const outcomes: string[] = [];
    const watcher = await startWatcher(this.ctx, routerSink(this.ctx.router), {
      probe: false,
      settleMs: 1,
      rescanMs: 3_600_000,
      retryMs: 3_600_000,
      onResult: (r) => outcomes.push(`${r.event.key} ${r.result?.outcome ?? 'no answer'}`),
    });
    try {
      await watcher.idle();
    } finally {
      await watcher.stop();
    }
    return `watcher run: ${outcomes.join(', ') || 'nothing handed'}`;
  }

  /**
   * An operator moves a delivered file back where its bytes landed: a rename,
   * inode and mtime kept. For the destination it is a take: what a policy
   * let those bytes replace there is handed over as when a consumer takes them.
   */
  private async moveBack(pick: number, step: number, obs: Observation): Promise<string> {
    const moves: { from: string; to: Landing }[] = [];
    for (const [location, bytes] of obs.files) {
      if (this.isLandingPlace(location)) continue;
      for (const landing of this.model.landings)
        if (landing.bytes === bytes && (await this.isFree(landing.location, obs)))
          moves.push({ from: location, to: landing });
    }
    const move = choose(moves, pick);
    if (!move) return 'skip: nothing to move back';
    await mkdir(path.dirname(this.ws.file(move.to.location)), { recursive: true });
    await rename(this.ws.file(move.from), this.ws.file(move.to.location));
    this.model.took(move.to.bytes, move.from, step);
    return `moved ${move.from} back to ${move.to.location}`;
  }

  /** A consumer takes (deletes) a delivered file. */
  private async take(pick: number, step: number, obs: Observation): Promise<string> {
    const delivered = [...obs.files].filter(([location]) => !this.isLandingPlace(location));
    const chosen = choose(delivered, pick);
    if (!chosen) return 'skip: nothing delivered';
    await rm(this.ws.file(chosen[0]));
    this.model.took(chosen[1], chosen[0], step);
    return `took ${chosen[0]}`;
  }

  /** A producer renames a landed file still where it landed. */
  private async renameLanded(pick: number, name: number, obs: Observation): Promise<string> {
    // only the latest landing at a location is the file there now
    const latest = new Map(this.model.landings.map((l) => [l.location, l]));
    const here = [...latest.values()].filter((l) => obs.files.get(l.location) === l.bytes);
    const landing = choose(here, pick);
    if (!landing) return 'skip: no landed file in place';
    const [project, bucket] = landing.location.split('/');
    const to = `${project}/${bucket}/${pickName(name)}`;
    if (!(await this.isFree(to, obs))) return `skip: ${to} taken or under a link`;
    await mkdir(path.dirname(this.ws.file(to)), { recursive: true });
    const from = landing.location;
    await rename(this.ws.file(from), this.ws.file(to));
    this.model.renamed(landing, to);
    return `renamed ${from} to ${to}`;
  }

  /** The `sub` folder of a landing bucket becomes a link to a folder outside the data root (a real one is set aside first). */
  private async swapLink(bucket: LandingBucket): Promise<string> {
    const folder = `land/${bucket}/${SWAPPABLE_FOLDER}`;
    const dir = this.ws.file(folder);
    const st = await lstat(dir).catch(() => undefined);
    if (st?.isSymbolicLink()) return `skip: ${folder} is a link already`;
    await mkdir(path.dirname(dir), { recursive: true });
    if (st) {
      const aside = `${folder}-aside-${++this.swaps}`;
      await rename(dir, this.ws.file(aside));
      for (const l of this.model.landings)
        if (l.location.startsWith(`${folder}/`)) l.location = aside + l.location.slice(folder.length);
    }
    const target = path.join(this.outside, 'target');
    await symlink(target, dir);
    this.model.links.set(folder, { target });
    return `swapped ${folder} for a link to ${target}`;
  }

  /**
   * A scan lists a bucket, then `inner` happens before the listed files are
   * routed (a folder swapped for a link, a file taken, renamed or landed):
   * the scan routes from a listing that is no longer true.
   */
  private async duringScan(inner: Action, step: number): Promise<string> {
    if (!this.ctx) return this.act(inner, step);
    let happened = 'no listing happened';
    this.afterList = async () => {
      happened = await this.act(inner, step);
    };
    const scanned = await this.scan();
    this.afterList = undefined;
    return `${scanned}, and between its listing and its routing: ${happened}`;
  }

  /** The referential file is cut short (or emptied), and the running system reloads it. */
  private async truncate(keepPercent: number): Promise<string> {
    const file = path.join(this.ws.dir, 'routes.csv');
    const text = await readFile(file, 'utf8');
    const kept = text.slice(0, Math.floor((text.length * keepPercent) / 100));
    await writeFile(file, kept);
    if (!this.ctx) return `truncated routes.csv to ${kept.length} chars (not running)`;
    const reload = await this.ctx.referentialSource.reload();
    const routes = this.ctx.referential().routes;
    this.model.inEffect(routes);
    this.model.routesAfterReload = routes.length;
    return `truncated routes.csv to ${kept.length} chars: ${reload.changed ? 'reloaded' : 'kept'} (${routes.length} routes)`;
  }

  /** No file at `location`, and no link on its way down from the data root. */
  private async isFree(location: string, obs: Observation): Promise<boolean> {
    if (obs.files.has(location)) return false;
    const parts = location.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const st = await lstat(this.ws.file(parts.slice(0, i).join('/'))).catch(() => undefined);
      if (!st) return true;
      if (st.isSymbolicLink() || (i === parts.length && !st.isFile() && !st.isDirectory())) return false;
      if (i === parts.length) return false;
    }
    return true;
  }

  private isLandingPlace(location: string): boolean {
    return this.model.landings.some((l) => l.location === location);
  }
}

/** Whole seconds from a fixed day: a producer's own clock, one time per step. */
function producerTime(step: number): Date {
  return new Date(Date.UTC(2026, 0, 1) + step * 1000);
}

function pickName(index: number): string {
  return NAMES[index % NAMES.length]!;
}

/** A notification of a landing (present or gone, with its generation) or of a file under a swapped link. */
function notification(landings: readonly Landing[], obs: Observation, pick: number): ObjectEvent | undefined {
  const targets: { location: string; generation?: string }[] = [...landings];
  for (const link of obs.links.keys())
    for (const name of OUTSIDE_FILES) targets.push({ location: `${link}/${name}` });
  const target = choose(targets, pick);
  if (!target) return undefined;
  const [project, bucket, ...key] = target.location.split('/');
  return {
    project: project!,
    bucket: bucket!,
    key: key.join('/'),
    origin: 'manual',
    ...(target.generation ? { generation: target.generation } : {}),
  };
}

function choose<T>(items: readonly T[], pick: number): T | undefined {
  return items.length ? items[pick % items.length] : undefined;
}
