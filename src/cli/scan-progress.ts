import type { ScanProgress } from '../modes/scan.js';

/** Where progress goes, and how. */
export interface ProgressSink {
  write(text: string): void;
  /** A terminal: one line redrawn in place; otherwise a line at a time. */
  tty: boolean;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `75` → `1m15s`; seconds to one decimal under a minute. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`;
}

function rates(p: Readonly<ScanProgress>, elapsedMs: number): { files: number; bytes: number } {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  return { files: p.files / seconds, bytes: p.bytes / seconds };
}

/**
 * A progress line while a scan runs: files and bytes routed of those listed
 * (`+` while the listing goes on), files/s, bytes/s and the time left at
 * that rate for what is listed.
 */
export function formatProgressLine(p: Readonly<ScanProgress>, elapsedMs: number): string {
  const rate = rates(p, elapsedMs);
  const more = p.listingDone ? '' : '+';
  const left = p.listed - p.files;
  const eta = rate.files > 0 ? formatSeconds(left / rate.files) : '-';
  return (
    `scan: ${p.files}/${p.listed}${more} files, ${formatBytes(p.bytes)}/${formatBytes(p.listedBytes)}${more}, ` +
    `${rate.files.toFixed(1)} files/s, ${formatBytes(rate.bytes)}/s, ETA ${eta}${more ? ' (listing)' : ''}`
  );
}

/** The last line of a scan's progress: what it routed, in how long, at what rate. */
export function formatFinalLine(p: Readonly<ScanProgress>, elapsedMs: number): string {
  const rate = rates(p, elapsedMs);
  return (
    `scan: ${p.files} files, ${formatBytes(p.bytes)} in ${formatSeconds(elapsedMs / 1000)}, ` +
    `${rate.files.toFixed(1)} files/s, ${formatBytes(rate.bytes)}/s`
  );
}

export interface ScanProgressReporter {
  update(progress: Readonly<ScanProgress>): void;
  /** Writes the final line (files/s even for a run shorter than one update). */
  finish(progress: Readonly<ScanProgress>): void;
}

/**
 * Progress on standard error, as `rclone -P` does: on a terminal one line
 * redrawn at most every 100 ms; on any other stream a line every second.
 * Both end with a final line.
 */
export function scanProgressReporter(
  sink: ProgressSink,
  clock: () => number = () => performance.now(),
): ScanProgressReporter {
  const start = clock();
  const interval = sink.tty ? 100 : 1000;
  let last = start;
  return {
    update(progress) {
      const now = clock();
      if (now - last < interval) return;
      last = now;
      const line = formatProgressLine(progress, now - start);
      sink.write(sink.tty ? `\r${line}\x1b[K` : `${line}\n`);
    },
    finish(progress) {
      const line = formatFinalLine(progress, clock() - start);
      sink.write(sink.tty ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
  };
}
