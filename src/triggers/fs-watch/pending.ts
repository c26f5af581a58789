import { promises as fsp, type BigIntStats } from 'node:fs';
import { errorCode, errorMessage } from '../../model/errors.js';
import type { Logger } from '../../util/log.js';
import { TERMINAL_OUTCOMES } from '../../model/outcome.js';
import { generationOf } from '../../storage/fs/paths.js';
import { mapPool, Semaphore } from '../../util/pool.js';
import { SnapshotBudget, type WriterProbe } from './probe.js';
import type { EventSink, SinkResult } from '../../intake/sink.js';
import type { ObjectEvent } from '../../model/event.js';

/**
 * Which rule judged a file complete:
 * - `closed`: the probe saw a writer holding it open, then none, and its size
 *   and mtime stayed the same across two observations;
 * - `no-writer`: the probe never saw a writer (renamed into place, or written
 *   and closed before the watcher looked) and two observations agree;
 * - `settled`: size and mtime unchanged for `settleMs` (no probe here);
 * - `quiet`: the bucket has a quiet period (`watch.settle`, `serve --settle`):
 *   size and mtime unchanged that long (at least `settleMs` where there is no
 *   probe) and, where the probe works, no writer seen meanwhile. A producer
 *   that appends and closes every few seconds is routed once, whole, after
 *   its last append, not split at its first close.
 */
export type CompletionRule = 'closed' | 'no-writer' | 'settled' | 'quiet';

/** A local source bucket being watched. */
export interface WatchedBucket {
  project: string;
  bucket: string;
  /** Real path of the bucket folder. */
  dir: string;
  /** The open-writer probe can be trusted here (a local filesystem). */
  probe: boolean;
  /** Quiet period (ms) of this bucket: a file must stay unchanged this long to be complete; 0: none. */
  quietMs: number;
}

/** What became of one file the watcher handed to the sink (benchmarks, metrics, tests). */
export interface WatchReport {
  event: ObjectEvent;
  rule: CompletionRule;
  /** epoch ms the watcher first noticed the file. */
  noticedAt: number;
  /** epoch ms the rule judged it complete. */
  completeAt: number;
  /** epoch ms the sink answered. */
  answeredAt: number;
  result?: SinkResult;
  error?: { code: string; message: string };
}

export interface PendingOptions {
  sink: EventSink;
  /** undefined: no probe on this platform; every file settles. */
  probe: WriterProbe | undefined;
  settleMs: number;
  /** Least spacing of a tick after the last for a file a tick already looked at (each tick takes one /proc snapshot). */
  probeIntervalMs: number;
  concurrency: number;
  /** Delay before handing a file again after the sink failed without `retryAfterMs`. */
  retryMs: number;
  logger: Logger;
  onResult?: (report: WatchReport) => void;
  /** A noticed path turned out to be a folder. */
  onFolder?: (dir: string) => void;
}

interface Observation {
  size: bigint;
  mtimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

interface Entry {
  watched: WatchedBucket;
  key: string;
  file: string;
  state: 'waiting' | 'routing';
  dueAt: number;
  noticedAt: number;
  settle: boolean | undefined;
  sawWriter: boolean;
  /** The last observation saw a writer, who may have written after it: look again just before the next snapshot. */
  rebase: boolean;
  /** A tick has looked at it since it was noticed: its next look waits a spacing after the last tick (readyAt). */
  polled: boolean;
  last?: Observation;
  changedAt: number;
  /** An event arrived while the sink held the file: look again once it answers. */
  again: boolean;
  attempts: number;
}

const STAT_CONCURRENCY = 64;
const MAX_RETRY_MS = 60_000;
/** Snapshots may take this share of wall time, with bursts up to the cap (ms). */
const SNAPSHOT_SHARE = 0.5;
const SNAPSHOT_BURST_MS = 250;
/** A file looked at before is looked at again after an eighth of its wait so far, at most this long after the last tick. */
const POLL_SPACING_SHARE = 8;
const MAX_POLL_SPACING_MS = 100;

/**
 * Files noticed in watched buckets, each waiting until complete, then handed
 * to the sink once at a time (bounded concurrency), and again later when the
 * sink's answer is not terminal. One /proc snapshot per tick serves every
 * file waiting under the probe rule.
 */
export class PendingFiles {
  private readonly entries = new Map<string, Entry>();
  private readonly semaphore: Semaphore;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly idleWaiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private lastTickAt = 0;
  private readonly budget = new SnapshotBudget(SNAPSHOT_SHARE, SNAPSHOT_BURST_MS);
  private ticking: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: PendingOptions) {
    this.semaphore = new Semaphore(options.concurrency);
  }

  get size(): number {
    return this.entries.size;
  }

  /** A file appeared or changed (watcher event or scan). Temp names are filtered by the caller. */
  notice(watched: WatchedBucket, key: string, file: string): void {
    if (this.stopping) return;
    const existing = this.entries.get(file);
    if (existing) {
      if (existing.state === 'routing') existing.again = true;
      return;
    }
    const now = Date.now();
    const e: Entry = {
      watched,
      key,
      file,
      state: 'waiting',
      dueAt: Infinity,
      noticedAt: now,
      settle: undefined,
      sawWriter: false,
      rebase: false,
      polled: false,
      changedAt: now,
      again: false,
      attempts: 0,
    };
    this.entries.set(file, e);
    void this.firstLook(e);
  }

  /** Resolves once no file is waiting and no sink call is in flight. */
  idle(): Promise<void> {
    if (this.entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Hands nothing more to the sink and waits for the calls in flight to answer. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Schedules the next tick for the earliest file ready (after a tick: it scans every entry). */
  private schedule(): void {
    let earliest = Infinity;
    for (const e of this.entries.values()) if (e.state === 'waiting') earliest = Math.min(earliest, this.readyAt(e));
    this.wake(earliest);
  }

  /**
   * When a waiting file may be looked at next. A file no tick has looked at
   * yet is judged at once: one that lands while nothing else waits does not
   * wait out the spacing of the ticks before it. A file a tick already
   * looked at (a writer held it, it changed) is looked at again a spacing
   * after the last tick: the probe interval, or an eighth of how long it has
   * waited so far, up to 100 ms. A file written in a blink is judged soon
   * after its close; one written for minutes costs a snapshot every 100 ms,
   * not one per interval. The snapshot budget bounds both.
   */
  private readyAt(e: Entry): number {
    if (!e.polled) return e.dueAt;
    const waited = this.lastTickAt - e.noticedAt;
    const spacing = Math.max(
      this.options.probeIntervalMs,
      Math.min(MAX_POLL_SPACING_MS, waited / POLL_SPACING_SHARE),
    );
    return Math.max(e.dueAt, this.lastTickAt + spacing);
  }

  /** Ticks at `at`, or sooner if already planned, once the snapshot budget allows. */
  private wake(at: number): void {
    if (this.stopping || this.ticking || at === Infinity) return;
    const when = Math.max(at, this.budget.readyAt(Date.now(), this.options.probe?.lastScanMs ?? 0));
    if (when >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = when;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.ticking = this.tick()
          .catch((error: unknown) => this.options.logger.error({ err: error }, 'watcher tick failed'))
          .finally(() => {
            this.ticking = undefined;
            this.schedule();
          });
      },
      Math.max(0, when - Date.now()),
    );
  }

  /**
   * One snapshot of open writers shared by every due file, then a look at
   * each: a file is judged against its previous observation, made before
   * the snapshot (files whose last look saw a writer are looked at again
   * first, so one tick after the writer closed suffices).
   */
  private async tick(): Promise<void> {
    const now = Date.now();
    this.lastTickAt = now;
    const due: Entry[] = [];
    for (const e of this.entries.values()) if (e.state === 'waiting' && e.dueAt <= now) due.push(e);
    const probed = due.filter((e) => e.settle !== true);
    await mapPool(
      probed.filter((e) => e.rebase),
      STAT_CONCURRENCY,
      (e) => this.rebase(e),
    );
    let writers: Set<string> | undefined;
    if (probed.length > 0 && this.options.probe) {
      writers = this.options.probe.openForWriting(
        probed.map((e) => ({ path: e.file, ...(e.last ? { ino: e.last.ino } : {}) })),
      );
      this.budget.spend(Date.now(), this.options.probe.lastScanMs);
    }
    await mapPool(due, STAT_CONCURRENCY, (e) => this.observe(e, writers));
  }

  /** The first observation, made when the file is noticed; the next tick judges it. */
  private async firstLook(e: Entry): Promise<void> {
    const st = await this.statOf(e);
    if (!st || this.stopping) return;
    const now = Date.now();
    e.last = { size: st.size, mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev };
    e.rebase = false;
    e.settle ??= this.mustSettle(e, st);
    e.changedAt = now;
    e.dueAt = e.settle ? now + this.settleWait(e) : now;
    this.wake(this.readyAt(e));
  }

  private async rebase(e: Entry): Promise<void> {
    const st = await this.statOf(e);
    if (!st) return;
    const seen: Observation = { size: st.size, mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev };
    if (e.last === undefined || !sameObservation(e.last, seen)) e.changedAt = Date.now();
    e.last = seen;
    e.rebase = false;
  }

  /** How long a file judged without the probe must stay unchanged: `settleMs`, or the bucket's quiet period when longer. */
  private settleWait(e: Entry): number {
    return Math.max(this.options.settleMs, e.watched.quietMs);
  }

  private async observe(e: Entry, writers: Set<string> | undefined): Promise<void> {
    const st = await this.statOf(e);
    if (!st) return;
    const now = Date.now();
    const seen: Observation = { size: st.size, mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev };
    const same = e.last !== undefined && sameObservation(e.last, seen);
    e.polled = true;
    e.settle ??= this.mustSettle(e, st);
    if (!e.settle && writers === undefined) e.settle = true;
    if (!e.settle && writers) {
      e.rebase = writers.has(e.file);
      if (e.rebase) {
        e.sawWriter = true;
        e.changedAt = now;
      } else if (same) {
        const quietMs = e.watched.quietMs;
        if (quietMs <= 0) return this.complete(e, st, e.sawWriter ? 'closed' : 'no-writer');
        if (now - e.changedAt >= quietMs) return this.complete(e, st, 'quiet');
        e.dueAt = e.changedAt + quietMs;
        return;
      } else {
        e.changedAt = now;
      }
      e.last = seen;
      e.dueAt = now;
      return;
    }
    const wait = this.settleWait(e);
    if (!same) {
      e.last = seen;
      e.changedAt = now;
      e.dueAt = now + wait;
    } else if (now - e.changedAt >= wait) {
      this.complete(e, st, e.watched.quietMs > 0 ? 'quiet' : 'settled');
    } else {
      e.dueAt = e.changedAt + wait;
    }
  }

  /**
   * The file's stats; undefined (and forgotten) when it is gone or not a
   * file. A symbolic link is never followed (the store refuses it: E_SYMLINK;
   * a folder link is not watched), only logged.
   */
  private async statOf(e: Entry): Promise<BigIntStats | undefined> {
    try {
      const st = await fsp.lstat(e.file, { bigint: true });
      if (st.isFile()) return st;
      if (st.isSymbolicLink()) {
        this.options.logger.warn(
          { file: e.file, code: 'E_SYMLINK' },
          'watcher met a symbolic link below a bucket: never followed, left in place',
        );
      }
      this.forget(e);
      if (st.isDirectory()) this.options.onFolder?.(e.file);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.forget(e);
      } else {
        this.options.logger.warn(
          { err: error, file: e.file },
          'watcher cannot stat a file; trying again later',
        );
        e.dueAt = Date.now() + this.options.retryMs;
        this.wake(this.readyAt(e));
      }
    }
    return undefined;
  }

  private mustSettle(e: Entry, st: BigIntStats): boolean {
    const probe = this.options.probe;
    if (!probe || !e.watched.probe) return true;
    return !probe.seesAllUsers && Number(st.uid) !== probe.uid;
  }

  private complete(e: Entry, st: BigIntStats, rule: CompletionRule): void {
    if (this.stopping) return;
    e.state = 'routing';
    e.again = false;
    const completeAt = Date.now();
    const event: ObjectEvent = {
      project: e.watched.project,
      bucket: e.watched.bucket,
      key: e.key,
      generation: generationOf(st),
      size: Number(st.size),
      eventTime: new Date(Number(st.mtimeNs / 1_000_000n)).toISOString(),
      origin: 'fs',
    };
    const call = this.semaphore
      .run(async () => (this.stopping ? undefined : this.options.sink(event)))
      .then(
        (result) =>
          this.answered(
            e,
            {
              event,
              rule,
              noticedAt: e.noticedAt,
              completeAt,
              answeredAt: Date.now(),
              ...(result ? { result } : {}),
            },
            !result,
          ),
        (error: unknown) =>
          this.answered(e, {
            event,
            rule,
            noticedAt: e.noticedAt,
            completeAt,
            answeredAt: Date.now(),
            error: { code: errorCode(error), message: errorMessage(error) },
          }),
      );
    this.inFlight.add(call);
    void call.finally(() => this.inFlight.delete(call));
  }

  private answered(e: Entry, report: WatchReport, skipped = false): void {
    if (skipped) return;
    this.options.onResult?.(report);
    const outcome = report.result?.outcome;
    const terminal = outcome !== undefined && (outcome === 'queued' || TERMINAL_OUTCOMES.has(outcome));
    const now = Date.now();
    if (terminal && !e.again) {
      this.forget(e);
      return;
    }
    e.state = 'waiting';
    if (terminal) {
      e.again = false;
      e.last = undefined;
      e.sawWriter = false;
      e.polled = false;
      e.noticedAt = now;
      e.dueAt = Infinity;
      void this.firstLook(e);
      return;
    }
    if (report.error) {
      this.options.logger.warn(
        { error: report.error, file: e.file },
        'sink failed for a watched file; retrying',
      );
    }
    const delay =
      report.result?.retryAfterMs ?? Math.min(MAX_RETRY_MS, this.options.retryMs * 2 ** e.attempts);
    e.attempts++;
    e.dueAt = now + delay;
    this.wake(this.readyAt(e));
  }

  private forget(e: Entry): void {
    if (this.entries.get(e.file) === e) this.entries.delete(e.file);
    if (this.entries.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

function sameObservation(a: Observation, b: Observation): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino && a.dev === b.dev;
}
