import { Command } from 'commander';
import { UsageError } from '../model/errors.js';
import { openContext } from '../runtime/context.js';
import { scan, type ScanFilter, type ScanProgress } from '../modes/scan.js';
import type { DeliveryLine } from '../runtime/summary.js';
import {
  configFrom,
  duration,
  errorJson,
  exitCodeOf,
  loggerFrom,
  withCommonOptions,
  type CommonOptionValues,
  type Io,
} from './common.js';
import { StreamedJson } from './json-stream.js';
import { scanProgressReporter } from './scan-progress.js';
import { printSummaryTable } from './table.js';

interface ScanOptionValues extends CommonOptionValues {
  prefix?: string;
  minAge?: number;
  maxAge?: number;
  progress?: boolean;
  verbose?: boolean;
}

export function scanCommand(io: Io, setExit: (code: number) => void): Command {
  return withCommonOptions(
    new Command('scan').description(
      "route every file now in the referential's source buckets (backfill; also recovers from lost notifications and killed runs)",
    ),
  )
    .option(
      '--prefix <keyprefix>',
      'only keys starting with KEYPREFIX within each source bucket (listed by prefix)',
    )
    .option('--min-age <duration>', 'only files last written at least this long ago (10m, 2h, 7d)', duration)
    .option('--max-age <duration>', 'only files last written at most this long ago (10m, 2h, 7d)', duration)
    .option(
      '--progress',
      'progress on standard error on any stream, not only a terminal (files/s, bytes/s, ETA)',
    )
    .option('--verbose', 'a line per delivery instead of the summary line')
    .action(async (options: ScanOptionValues) => {
      const filter = filterOf(options);
      const config = await configFrom(options, io);
      const logger = loggerFrom(options);
      const ctx = await openContext(config, logger);
      // a terminal is asked about only when it decides something (--json: no progress unless asked for)
      const tty = (): boolean => Boolean(io.stderr.isTTY);
      const progress =
        options.progress || (!options.json && tty())
          ? scanProgressReporter({ tty: tty(), write: (s) => io.stderr.write(s) })
          : undefined;
      // the scan's own progress record, updated in place; the last one it reported is final
      let last: Readonly<ScanProgress> | undefined;
      // --json: the delivery lines are written as they come, not held (a backfill of millions)
      const json = options.json ? new StreamedJson(io, 'deliveries') : undefined;
      try {
        const report = await scan(ctx, {
          concurrency: config.concurrency,
          filter,
          details: Boolean(options.json || options.verbose),
          ...(json ? { onDelivery: (line: DeliveryLine) => json.item(line) } : {}),
          onProgress: (p) => {
            last = p;
            progress?.update(p);
          },
        });
        if (last) progress?.finish(last);
        if (json) {
          const { deliveries: _written, ...rest } = report;
          json.end({ dryRun: config.dryRun, ...rest });
        } else printSummaryTable(io, report, config.dryRun);
        setExit(report.failed > 0 ? 1 : 0);
      } catch (error) {
        // the lines written so far stay in the output, which ends with the error: one JSON object still
        if (!json?.begun) throw error;
        json.end({ error: errorJson(error) });
        setExit(exitCodeOf(error));
      } finally {
        await ctx.close();
      }
    });
}

/** The scan's filter; a band no file can be in (`--min-age` over `--max-age`) is a usage error. */
function filterOf(options: ScanOptionValues): ScanFilter {
  if (options.minAge !== undefined && options.maxAge !== undefined && options.minAge > options.maxAge)
    throw new UsageError('--min-age is longer than --max-age: no file can be in that band', {
      minAgeMs: options.minAge,
      maxAgeMs: options.maxAge,
    });
  return {
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    ...(options.minAge !== undefined ? { minAgeMs: options.minAge } : {}),
    ...(options.maxAge !== undefined ? { maxAgeMs: options.maxAge } : {}),
  };
}
