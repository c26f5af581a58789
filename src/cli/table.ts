import type { RunSummary } from '../runtime/summary.js';
import type { Io } from './common.js';

/** A plain text table: columns padded to their widest cell. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function printSummaryTable(io: Io, summary: RunSummary, dryRun: boolean): void {
  const rows = summary.deliveries.map((d) => [
    d.source,
    d.route,
    d.destination,
    d.state + (d.error ? ` (${d.error.code})` : ''),
  ]);
  for (const file of summary.unroutedFiles)
    rows.push([file, '-', '(no row matches: left in place)', 'unrouted']);
  if (rows.length > 0)
    io.stdout.write(`${formatTable(['source', 'route', 'destination', 'state'], rows)}\n\n`);
  const verb = dryRun ? 'would route' : 'routed';
  io.stdout.write(
    `${verb} ${summary.routed}, unrouted ${summary.unrouted}, failed ${summary.failed} (dead ${summary.dead}), skipped ${summary.skipped}${summary.waiting > 0 ? `, waiting ${summary.waiting}` : ''}\n`,
  );
  for (const e of summary.errors) io.stderr.write(`${e.source}: ${e.message}\n`);
}
