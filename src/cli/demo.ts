import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../model/errors.js';
import { openContext } from '../runtime/context.js';
import { scan } from '../modes/scan.js';
import { configFrom, loggerFrom, printJson, type CommonOptionValues, type Io } from './common.js';
import { printSummaryTable } from './table.js';

/**
 * The seed's referential (its two rows), and two rows beyond it: a
 * transform (`csv-to-jsonl`) and a group that moves once its `_SUCCESS`
 * marker has landed (`complete_when`).
 */
export const DEMO_ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,transform,complete_when
source_bucket,raw_data,finance.*.csv,finance,raw_data,,,
source_bucket,raw_data,sale.*.csv,sales,raw_data,,,
source_bucket,raw_data,^stock_.*\\.csv$,analytics,raw_data,inventory,csv-to-jsonl,
source_bucket,raw_data,^part-[0-9]+\\.csv$,sales,raw_data,{path},,^_SUCCESS$
`;

export const DEMO_FILES: Record<string, string> = {
  'finance_2024-01.csv': 'account,amount\n4000,1250.00\n4100,-310.50\n',
  'finance_2024-02.csv': 'account,amount\n4000,980.00\n',
  'emea/finance_q1 report.csv': 'region,total\nemea,2230.00\n',
  'sale_fr.csv': 'country,units\nfr,42\n',
  'sale us 2024.csv': 'country,units\nus,7\n',
  'readme.txt': 'no row matches this file: it stays where it is\n',
  // a transform: delivered as analytics/raw_data/inventory/stock_2024-01.jsonl
  'inventory/stock_2024-01.csv': 'sku,on_hand\nA-1,12\nB-7,0\n',
  // a complete group: both parts, then the marker, delivered together
  'orders/2024-01-05/part-0001.csv': 'order,amount\n1001,25.00\n',
  'orders/2024-01-05/part-0002.csv': 'order,amount\n1002,14.50\n',
  'orders/2024-01-05/_SUCCESS': '',
  // a group without its marker: it waits where it is
  'orders/2024-01-06/part-0001.csv': 'order,amount\n1003,9.90\n',
};

/** What the demo creates in its folder (the referential, the data root, the state folder): refused when any exists. */
const DEMO_WRITES = ['routes.csv', 'data', '.switchyard'];

export function demoCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('demo')
    .description(
      "write the seed's referential (plus a transform and a group) and sample landing files into a folder, route them, and show what went where",
    )
    .option(
      '--dir <dir>',
      'folder to create the demo in, new or without routes.csv, data/ and .switchyard/ (default: a fresh temp folder)',
    )
    .option('--json', 'print the scan report as JSON')
    .action(async (options: CommonOptionValues & { dir?: string }) => {
      const dir = options.dir
        ? path.resolve(io.cwd, options.dir)
        : await mkdtemp(path.join(tmpdir(), 'switchyard-demo-'));
      const taken = DEMO_WRITES.map((name) => path.join(dir, name)).find((file) => existsSync(file));
      if (taken !== undefined) {
        throw new UsageError(
          `[switchyard] [demo] ${taken} already exists: the demo writes ${DEMO_WRITES.join(', ')} into its folder and never overwrites; ` +
            'give --dir a new or empty folder',
          { dir, file: taken },
        );
      }
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'routes.csv'), DEMO_ROUTES);
      const landing = path.join(dir, 'data', 'source_bucket', 'raw_data');
      for (const [key, content] of Object.entries(DEMO_FILES)) {
        await mkdir(path.dirname(path.join(landing, key)), { recursive: true });
        await writeFile(path.join(landing, key), content);
      }
      const config = await configFrom(
        {
          routes: path.join(dir, 'routes.csv'),
          data: path.join(dir, 'data'),
          state: path.join(dir, '.switchyard'),
          config: undefined,
        },
        { ...io, cwd: dir },
      );
      const ctx = await openContext(config, loggerFrom({ logLevel: 'warn' }));
      try {
        const report = await scan(ctx, { concurrency: config.concurrency });
        if (options.json) {
          printJson(io, { dir, ...report });
        } else {
          io.stdout.write(`demo folder: ${dir}\nreferential: ${path.join(dir, 'routes.csv')}\n\n`);
          printSummaryTable(io, report, false);
          io.stdout.write(
            `\nlook at ${path.join(dir, 'data')}, or run: switchyard status --state ${path.join(dir, '.switchyard')}\n`,
          );
        }
        setExit(report.failed > 0 ? 1 : 0);
      } finally {
        await ctx.close();
      }
    });
}
