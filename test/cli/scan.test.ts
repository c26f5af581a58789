// `switchyard scan` as a backfill: a key prefix, ages, progress on standard
// error, a summary line unless --verbose, and a listing that streams.
import { utimes } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Router } from '../../src/router/router.js';
import { FsStore } from '../../src/storage/fs/store.js';
import { Workspace } from '../helpers/workspace.js';

interface ScanJson {
  routed: number;
  unrouted: number;
  listed: number;
  bytes: number;
  deliveries: Array<{ source: string; destination: string }>;
  unroutedFiles: string[];
}

describe('switchyard scan (backfill)', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await ws?.remove();
    ws = undefined;
  });

  it('--prefix routes only keys under it, and asks the listing for that prefix', async () => {
    ws = await Workspace.create();
    await ws.put('source_bucket/raw_data/2024/finance_a.csv', 'a\n');
    await ws.put('source_bucket/raw_data/2023/finance_b.csv', 'b\n');
    await ws.put('source_bucket/raw_data/finance_c.csv', 'c\n');
    const list = vi.spyOn(FsStore.prototype, 'list');
    const run = await ws.run('scan', '--prefix', '2024/', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<ScanJson>()).toMatchObject({ routed: 1, listed: 1, bytes: 2 });
    expect(list.mock.calls.length).toBeGreaterThan(0);
    for (const [, options] of list.mock.calls) expect(options?.prefix).toBe('2024/');
    expect(await ws.files()).toEqual([
      'finance/raw_data/finance_a.csv',
      'source_bucket/raw_data/2023/finance_b.csv',
      'source_bucket/raw_data/finance_c.csv',
    ]);
  });

  it('--min-age and --max-age select files by their last write', async () => {
    ws = await Workspace.create();
    const now = Date.now() / 1000;
    const aged = async (name: string, ageSeconds: number) => {
      const file = await ws!.put(`source_bucket/raw_data/${name}`, `${name}\n`);
      await utimes(file, now - ageSeconds, now - ageSeconds);
    };
    await aged('finance_fresh.csv', 60); // 1 minute
    await aged('finance_hours.csv', 3 * 3600); // 3 hours
    await aged('finance_old.csv', 10 * 86_400); // 10 days

    const band = await ws.run('scan', '--min-age', '10m', '--max-age', '7d', '--json');
    expect(band.code, band.stderr).toBe(0);
    expect(band.json<ScanJson>().deliveries.map((d) => d.source)).toEqual([
      'source_bucket/raw_data/finance_hours.csv',
    ]);
    const old = await ws.run('scan', '--min-age', '2d', '--json');
    expect(old.json<ScanJson>().deliveries.map((d) => d.source)).toEqual([
      'source_bucket/raw_data/finance_old.csv',
    ]);
    expect(await ws.files()).toEqual([
      'finance/raw_data/finance_hours.csv',
      'finance/raw_data/finance_old.csv',
      'source_bucket/raw_data/finance_fresh.csv',
    ]);
  });

  it('refuses an age that is not a duration, naming the flag', async () => {
    ws = await Workspace.create();
    const run = await ws.run('scan', '--min-age', 'a week');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("option '--min-age <duration>' argument 'a week' is invalid");
    const band = await ws.run('scan', '--min-age', '2d', '--max-age', '1d');
    expect(band.code).toBe(2);
    expect(band.stderr).toContain('--min-age is longer than --max-age');
  });

  it('prints a summary line, not a line per file, unless --verbose', async () => {
    ws = await Workspace.create();
    await ws.put('source_bucket/raw_data/finance_1.csv', '1\n');
    await ws.put('source_bucket/raw_data/sale_1.csv', '1\n');
    await ws.put('source_bucket/raw_data/notes.txt', 'x\n');
    const quiet = await ws.run('scan', '--dry-run');
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe('would route 2, unrouted 1, failed 0 (dead 0), skipped 0\n');

    const verbose = await ws.run('scan', '--verbose');
    expect(verbose.code, verbose.stderr).toBe(0);
    const lines = verbose.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^source\s+route\s+destination\s+state$/);
    expect(verbose.stdout).toContain('source_bucket/raw_data/finance_1.csv');
    expect(verbose.stdout).toContain('(no row matches: left in place)');
    expect(lines.at(-1)).toBe('routed 2, unrouted 1, failed 0 (dead 0), skipped 0');
  });

  it('--json keeps every delivery and unrouted file, as before', async () => {
    ws = await Workspace.create();
    await ws.put('source_bucket/raw_data/finance_1.csv', '1\n');
    await ws.put('source_bucket/raw_data/notes.txt', 'x\n');
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report.deliveries).toEqual([
      expect.objectContaining({
        source: 'source_bucket/raw_data/finance_1.csv',
        destination: 'finance/raw_data/finance_1.csv',
      }),
    ]);
    expect(report.unroutedFiles).toEqual(['source_bucket/raw_data/notes.txt']);
  });

  it('--progress writes a final line with files/s to a stream that is not a terminal; without it, nothing', async () => {
    ws = await Workspace.create();
    await ws.put('source_bucket/raw_data/finance_1.csv', '12345\n');
    await ws.put('source_bucket/raw_data/sale_1.csv', '123\n');
    const run = await ws.run('scan', '--progress');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^scan: 2 files, 10 B in \d+(\.\d)?s, \d+\.\d files\/s, .+\/s\n$/m);
    expect(run.stdout).toBe('routed 2, unrouted 0, failed 0 (dead 0), skipped 0\n');

    await ws.put('source_bucket/raw_data/finance_2.csv', '1\n');
    const plain = await ws.run('scan');
    expect(plain.stderr).toBe('');
  });

  it('on a terminal, redraws one progress line without --progress, and ends it', async () => {
    ws = await Workspace.create();
    await ws.put('source_bucket/raw_data/finance_1.csv', '1\n');
    let stdout = '';
    let stderr = '';
    const sink = (append: (s: string) => void, tty: boolean) =>
      Object.assign(
        new Writable({
          write(chunk, _enc, cb) {
            append(String(chunk));
            cb();
          },
        }),
        { isTTY: tty },
      );
    const code = await main(['node', 'switchyard', 'scan'], {
      stdout: sink((s) => (stdout += s), false),
      stderr: sink((s) => (stderr += s), true),
      env: {},
      cwd: ws.dir,
    });
    expect(code, stderr).toBe(0);
    expect(stderr.endsWith('\x1b[K\n'), 'the line is cleared to its end and ended').toBe(true);
    expect(stderr).toMatch(/\rscan: 1 files, 2 B in [\d.]+s, [\d.]+ files\/s, \d+(\.\d)? (B|KiB)\/s/);
    expect(stdout).toBe('routed 1, unrouted 0, failed 0 (dead 0), skipped 0\n');
  });

  it('streams the listing: the first file is routed before the second page is listed', async () => {
    ws = await Workspace.create();
    // unrouted names: cheap to route, still one event each
    await Promise.all(
      Array.from({ length: 2500 }, (_, i) =>
        ws!.put(`source_bucket/raw_data/n${String(i).padStart(4, '0')}.txt`, ''),
      ),
    );
    const list = vi.spyOn(FsStore.prototype, 'list');
    const route = vi.spyOn(Router.prototype, 'route');
    const run = await ws.run('scan', '--json', '--concurrency', '1');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<ScanJson>()).toMatchObject({ listed: 2500, unrouted: 2500 });
    expect(list.mock.calls.length).toBe(3);
    const firstRoute = route.mock.invocationCallOrder[0]!;
    expect(list.mock.invocationCallOrder.filter((order) => order < firstRoute)).toHaveLength(1);
  });
});
