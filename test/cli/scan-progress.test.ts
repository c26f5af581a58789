// The progress of a scan: what a terminal and a plain stream receive.
import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatProgressLine,
  formatSeconds,
  scanProgressReporter,
} from '../../src/cli/scan-progress.js';
import type { ScanProgress } from '../../src/modes/scan.js';

const progress = (over: Partial<ScanProgress>): ScanProgress => ({
  files: 0,
  bytes: 0,
  listed: 0,
  listedBytes: 0,
  listingDone: false,
  ...over,
});

describe('scan progress', () => {
  it('gives files/s, bytes/s and the time left for what is listed', () => {
    const p = progress({ files: 500, bytes: 5 * 1024 * 1024, listed: 2000, listedBytes: 20 * 1024 * 1024 });
    expect(formatProgressLine(p, 2000)).toBe(
      'scan: 500/2000+ files, 5.0 MiB/20.0 MiB+, 250.0 files/s, 2.5 MiB/s, ETA 6.0s (listing)',
    );
    expect(formatProgressLine({ ...p, listingDone: true }, 2000)).toBe(
      'scan: 500/2000 files, 5.0 MiB/20.0 MiB, 250.0 files/s, 2.5 MiB/s, ETA 6.0s',
    );
    expect(formatProgressLine(progress({ listed: 3 }), 10)).toContain('ETA -');
  });

  it('formats sizes and durations', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(79.38)).toBe('79 B');
    expect(formatSeconds(75)).toBe('1m15s');
    expect(formatSeconds(7260)).toBe('2h01m');
    expect(formatSeconds(42.4)).toBe('42s');
  });

  it('redraws one line on a terminal, at most every 100 ms, and ends it', () => {
    let out = '';
    let now = 0;
    const reporter = scanProgressReporter({ tty: true, write: (s) => (out += s) }, () => now);
    now = 50;
    reporter.update(progress({ files: 1, listed: 10 }));
    expect(out).toBe('');
    now = 150;
    reporter.update(progress({ files: 2, listed: 10 }));
    now = 1000;
    reporter.finish(progress({ files: 10, listed: 10, listingDone: true }));
    expect(out.split('\r').slice(1)).toEqual([
      'scan: 2/10+ files, 0 B/0 B+, 13.3 files/s, 0 B/s, ETA 0.6s (listing)\x1b[K',
      'scan: 10 files, 0 B in 1.0s, 10.0 files/s, 0 B/s\x1b[K\n',
    ]);
  });

  it('writes a line a second to a stream that is not a terminal', () => {
    const lines: string[] = [];
    let now = 0;
    const reporter = scanProgressReporter({ tty: false, write: (s) => lines.push(s) }, () => now);
    for (now = 100; now <= 2500; now += 100) reporter.update(progress({ files: now / 100, listed: 100 }));
    now = 2500;
    reporter.finish(progress({ files: 100, listed: 100, listingDone: true }));
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(lines[2]).toMatch(/^scan: 100 files, 0 B in 2\.5s, 40\.0 files\/s/);
  });
});
