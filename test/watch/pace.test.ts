import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PendingFiles, type WatchedBucket, type WatchReport } from '../../src/triggers/fs-watch/pending.js';
import type { ProbeTarget, WriterProbe } from '../../src/triggers/fs-watch/probe.js';
import type { ObjectEvent } from '../../src/model/event.js';
import { silentLogger } from '../../src/util/log.js';

/** A probe that reports the files in `writing` as held open, and counts its snapshots. */
class ScriptedProbe implements WriterProbe {
  readonly seesAllUsers = true;
  readonly uid = process.geteuid?.() ?? 0;
  readonly lastScanMs = 0.1;
  readonly writing = new Set<string>();
  snapshots = 0;

  openForWriting(files: readonly ProbeTarget[]): Set<string> {
    this.snapshots++;
    return new Set(files.map((f) => f.path).filter((p) => this.writing.has(p)));
  }
}

/**
 * How often the watcher looks: a file just noticed is judged at once, not
 * after the spacing since the last tick; a file held open is looked at less
 * often the longer it is held (src/triggers/fs-watch/pending.ts, readyAt).
 */
describe('the watcher’s pace', () => {
  let dir = '';
  let pending: PendingFiles | undefined;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(tmpdir(), 'switchyard-pace-'));
  });
  afterEach(async () => {
    await pending?.stop();
    pending = undefined;
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const watched = (): WatchedBucket => ({ project: 'landing', bucket: 'inbox', dir, probe: true, quietMs: 0 });

  function start(probe: ScriptedProbe, probeIntervalMs: number) {
    const reports: WatchReport[] = [];
    const answered = new Map<string, () => void>();
    pending = new PendingFiles({
      sink: async (_event: ObjectEvent) => ({ outcome: 'routed' }),
      probe,
      settleMs: 2000,
      probeIntervalMs,
      concurrency: 4,
      retryMs: 1000,
      logger: silentLogger(),
      onResult: (report) => {
        reports.push(report);
        answered.get(report.event.key)?.();
      },
    });
    const land = async (name: string): Promise<WatchReport> => {
      const file = path.join(dir, name);
      await fsp.writeFile(file, name);
      const done = new Promise<void>((resolve) => answered.set(name, resolve));
      pending!.notice(watched(), name, file);
      await done;
      return reports.find((r) => r.event.key === name)!;
    };
    return { land, reports };
  }

  it('judges a file noticed right after another at once, whatever the interval since the last tick', async () => {
    // an interval of a minute: a file that waited for it would outlast the test's timeout
    const { land } = start(new ScriptedProbe(), 60_000);
    for (const name of ['a.csv', 'b.csv', 'c.csv']) expect((await land(name)).rule).toBe('no-writer');
  });

  it('looks at a file held open less often the longer it is held, and routes it once closed', async () => {
    const probe = new ScriptedProbe();
    const { land } = start(probe, 10);
    const file = path.join(dir, 'held.csv');
    probe.writing.add(file);
    const routed = land('held.csv');
    const heldMs = 1500;
    await new Promise((resolve) => setTimeout(resolve, heldMs));
    const whileHeld = probe.snapshots;
    probe.writing.delete(file);
    expect((await routed).rule).toBe('closed');
    // every 10 ms for 1.5 s would be 150 snapshots; an eighth of the wait (10 ms up to
    // 100 ms) is about 35: 8 in the first 80 ms, 20 to 800 ms, 7 at 100 ms
    expect(whileHeld).toBeGreaterThan(2);
    expect(whileHeld).toBeLessThan(60);
  });
});
