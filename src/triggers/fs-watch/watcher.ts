import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { QuietPeriods } from '../../config/schema.js';
import type { Logger } from '../../util/log.js';
import type { Referential } from '../../referential/types.js';
import { FsStore } from '../../storage/fs/store.js';
import { isFolderPlaceholder } from '../../model/keys.js';
import type { StoreRegistry } from '../../storage/registry.js';
import type { ListProblem } from '../../storage/types.js';
import { isIgnoredKey, isTempName } from './names.js';
import { PendingFiles, type WatchedBucket, type WatchReport } from './pending.js';
import { isSharedFilesystem, openWriterProbe, type WriterProbe } from './probe.js';
import { Rescans } from './rescans.js';
import { watchTree, type TreeWatcher } from './tree.js';
import type { EventSink } from '../../intake/sink.js';

export type { CompletionRule, WatchedBucket, WatchReport } from './pending.js';
export { isTempName } from './names.js';

/** What the watcher needs of a Context (src/runtime/context.ts satisfies it). */
export interface WatchContext {
  stores: Pick<StoreRegistry, 'storeFor' | 'localRootFor'>;
  referential(): Pick<Referential, 'sources'>;
  logger: Logger;
  config: { concurrency: number; watch?: { settle?: QuietPeriods } };
}

export interface WatcherOptions {
  /** Size and mtime unchanged this long makes a file complete where the probe cannot tell (default 2000 ms). */
  settleMs?: number;
  /**
   * Quiet periods by bucket (default: `watch.settle` of the config): in a
   * bucket that has one, a file is complete only once its size and mtime
   * stayed unchanged that long (and, where the probe works, no process
   * holds it open for writing). Elsewhere the probe alone decides.
   */
  quiet?: QuietPeriods;
  /** Full rescan of the watched buckets this often (default 5 min); also after a watcher error. */
  rescanMs?: number;
  /** Sink calls in flight at most (default `config.concurrency`). */
  concurrency?: number;
  /** Use the /proc open-writer probe where it works (default true); false: every file settles. */
  probe?: boolean;
  /**
   * Least spacing between ticks (each one /proc snapshot shared by the files
   * waiting) for files a tick already looked at: held open by a writer, or
   * changed (default 10 ms; an eighth of the file's wait so far when longer,
   * up to 100 ms). A file just noticed is looked at at once. Either way
   * snapshots take at most half the time (bursts up to 250 ms of them).
   */
  probeIntervalMs?: number;
  /** Delay before handing a file again after the sink failed without saying when (default 1000 ms, doubling). */
  retryMs?: number;
  logger?: Logger;
  /** Called once per sink answer (benchmarks, metrics). */
  onResult?: (report: WatchReport) => void;
}

export interface Watcher {
  /** Stops watching, hands nothing more to the sink, waits for the calls in flight. */
  stop(): Promise<void>;
  /** Resolves when no scan runs, no file waits and no sink call is in flight (tests). */
  idle(): Promise<void>;
  /** Lists every watched bucket now and notices what is there. */
  rescan(): Promise<void>;
  readonly buckets: readonly WatchedBucket[];
  /** The open-writer probe is in use for at least one bucket. */
  readonly probing: boolean;
}

/**
 * Watches every local (fs-backed) source bucket of the referential,
 * `DATA/<project>/<bucket>/`, recursively, and hands each file to the sink
 * once it is complete:
 * - a file under a temp name (see isTempName) is ignored until renamed to
 *   its real name;
 * - where the /proc probe works (Linux, a local filesystem, processes of the
 *   file's owner visible), a file no process holds open for writing whose
 *   size and mtime agree across two observations with a probe snapshot
 *   between them;
 * - otherwise, size and mtime unchanged for `settleMs`.
 * On start it first notices what is already there. It rescans (lists every
 * watched bucket through its store) every `rescanMs`, after a watch error
 * (inotify limit) and once a burst of events quiets down (the kernel drops
 * events when its queue overflows, silently for Node), so nothing is lost;
 * the ledger makes repeats harmless. A file is never handed twice
 * concurrently; a non-terminal answer (failed, in-flight) hands it again
 * after `retryAfterMs`.
 */
export async function startWatcher(
  ctx: WatchContext,
  sink: EventSink,
  options: WatcherOptions = {},
): Promise<Watcher> {
  const logger = options.logger ?? ctx.logger;
  const probe = options.probe === false ? undefined : openWriterProbe();
  const quiet = options.quiet ?? ctx.config.watch?.settle ?? { buckets: {} };
  const buckets = await watchedBuckets(ctx, probe !== undefined, quiet);
  const folders: { tree?: TreeWatcher } = {};
  const pending = pendingFiles(ctx, sink, options, logger, probe, (dir) => folders.tree?.addFolder(dir));
  const run: RunState = { stopped: false };

  const reportProblem = problemReporter(logger);
  const scanAll = async (): Promise<void> => {
    await folders.tree?.sync();
    for (const watched of buckets) {
      if (!(await scanBucket(ctx, watched, pending, run, reportProblem))) return;
    }
  };
  const rescans = new Rescans(scanAll, logger);

  const onPath = (file: string): void => {
    if (run.stopped) return;
    rescans.event();
    const found = locate(buckets, file);
    if (found && !isIgnoredKey(found.key)) pending.notice(found.watched, found.key, file);
  };
  const onError = (error: unknown): void => {
    if (!run.stopped) rescans.afterError(error);
  };

  const tree = await watchTree(
    buckets.map((b) => b.dir),
    { onFile: onPath, onError, ignore: isTempName },
  );
  folders.tree = tree;
  const rescanTimer = setInterval(() => void rescans.run(), options.rescanMs ?? 5 * 60_000);
  await rescans.run();
  logger.info(
    { buckets: buckets.map((b) => `${b.project}/${b.bucket}`), probe: buckets.some((b) => b.probe) },
    'watching local source buckets',
  );
  return watcherHandle({ buckets, pending, rescans, tree, rescanTimer, run });
}

/** Whether the watcher was stopped, shared by its callbacks (which then do nothing more). */
interface RunState {
  stopped: boolean;
}

/** The files waiting to be complete, with the options' defaults filled in. */
function pendingFiles(
  ctx: WatchContext,
  sink: EventSink,
  options: WatcherOptions,
  logger: Logger,
  probe: WriterProbe | undefined,
  onFolder: (dir: string) => void,
): PendingFiles {
  return new PendingFiles({
    sink,
    probe,
    settleMs: options.settleMs ?? 2000,
    probeIntervalMs: options.probeIntervalMs ?? 10,
    concurrency: options.concurrency ?? ctx.config.concurrency,
    retryMs: options.retryMs ?? 1000,
    logger,
    onFolder,
    ...(options.onResult ? { onResult: options.onResult } : {}),
  });
}

/** Logs the symbolic links and non-UTF-8 names the listings met, once each (never followed, never touched). */
function problemReporter(logger: Logger): (watched: WatchedBucket, problem: ListProblem) => void {
  const reported = new Set<string>();
  return (watched, problem) => {
    const source = `${watched.project}/${watched.bucket}/${problem.key}`;
    if (reported.has(source) || reported.size >= 10_000) return;
    reported.add(source);
    logger.warn({ source, code: problem.code }, problem.message);
  };
}

/** Lists one watched bucket through its store and notices every file; false when the watcher stopped meanwhile. */
async function scanBucket(
  ctx: WatchContext,
  watched: WatchedBucket,
  pending: PendingFiles,
  run: RunState,
  reportProblem: (watched: WatchedBucket, problem: ListProblem) => void,
): Promise<boolean> {
  const store = await ctx.stores.storeFor(watched.project);
  let pageToken: string | undefined;
  do {
    if (run.stopped) return false;
    const page = await store.list(watched.bucket, {
      pageSize: 1000,
      ...(pageToken ? { pageToken } : {}),
    });
    for (const item of page.items) {
      if (isFolderPlaceholder(item.key) || isIgnoredKey(item.key)) continue;
      pending.notice(watched, item.key, path.join(watched.dir, ...item.key.split('/')));
    }
    for (const problem of page.problems ?? []) reportProblem(watched, problem);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return true;
}

/** The running watcher as its caller sees it. */
function watcherHandle(parts: {
  buckets: WatchedBucket[];
  pending: PendingFiles;
  rescans: Rescans;
  tree: TreeWatcher;
  rescanTimer: ReturnType<typeof setInterval>;
  run: RunState;
}): Watcher {
  const { buckets, pending, rescans, tree, rescanTimer, run } = parts;
  return {
    buckets,
    probing: buckets.some((b) => b.probe),
    rescan: () => rescans.run(),
    async idle() {
      for (;;) {
        await rescans.running;
        await pending.idle();
        if (!rescans.running && pending.size === 0) return;
      }
    },
    async stop() {
      run.stopped = true;
      clearInterval(rescanTimer);
      rescans.stop();
      tree.close();
      await rescans.running;
      await pending.stop();
    },
  };
}

/** The fs-backed source buckets of the referential, each folder created when missing. */
async function watchedBuckets(
  ctx: WatchContext,
  probeWorks: boolean,
  quiet: QuietPeriods,
): Promise<WatchedBucket[]> {
  const buckets: WatchedBucket[] = [];
  for (const { project, bucket } of ctx.referential().sources()) {
    const localRoot = ctx.stores.localRootFor(project);
    if (localRoot === undefined) continue;
    const store = await ctx.stores.storeFor(project);
    const root = store instanceof FsStore ? store.root : path.resolve(localRoot, project);
    const dir = path.join(root, bucket);
    await fsp.mkdir(dir, { recursive: true });
    const real = await fsp.realpath(dir);
    buckets.push({
      project,
      bucket,
      dir: real,
      probe: probeWorks && !isSharedFilesystem(real),
      quietMs: quietPeriodOf(quiet, project, bucket),
    });
  }
  return buckets;
}

/** The quiet period of one bucket: its own, else the default, else none (0). */
export function quietPeriodOf(quiet: QuietPeriods, project: string, bucket: string): number {
  return quiet.buckets[`${project}/${bucket}`] ?? quiet.default ?? 0;
}

/** The watched bucket holding `file` (the deepest one) and its key. */
function locate(
  buckets: readonly WatchedBucket[],
  file: string,
): { watched: WatchedBucket; key: string } | undefined {
  let best: WatchedBucket | undefined;
  for (const b of buckets) {
    if (file.startsWith(b.dir + path.sep) && (!best || b.dir.length > best.dir.length)) best = b;
  }
  if (!best) return undefined;
  return {
    watched: best,
    key: file
      .slice(best.dir.length + 1)
      .split(path.sep)
      .join('/'),
  };
}
