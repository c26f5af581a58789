import { Command } from 'commander';
import { openContext } from '../runtime/context.js';
import { scan } from '../modes/scan.js';
import {
  configFrom,
  loggerFrom,
  printJson,
  progressReporter,
  withCommonOptions,
  type CommonOptionValues,
  type Io,
} from './common.js';
import { printSummaryTable } from './table.js';

export function scanCommand(io: Io, setExit: (code: number) => void): Command {
  return withCommonOptions(
    new Command('scan').description(
      "route every file now in the referential's source buckets (backfill; also recovers from lost notifications and killed runs)",
    ),
  ).action(async (options: CommonOptionValues) => {
    const config = await configFrom(options, io);
    const logger = loggerFrom(options);
    const ctx = await openContext(config, logger);
    try {
      const report = await scan(ctx, {
        concurrency: config.concurrency,
        onProgress: progressReporter(io, 'scan', !options.json, logger),
      });
      if (options.json) printJson(io, { dryRun: config.dryRun, ...report });
      else printSummaryTable(io, report, config.dryRun);
      setExit(report.failed > 0 ? 1 : 0);
    } finally {
      await ctx.close();
    }
  });
}
