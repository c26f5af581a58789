import { Command } from 'commander';
import { enqueueLocations } from '../drains/batch-enqueue.js';
import { openConfiguredQueue } from '../queue/url.js';
import { StoreRegistry } from '../storage/registry.js';
import { configFrom, printJson, withCommonOptions, type CommonOptionValues, type Io } from './common.js';

interface EnqueueOptions extends CommonOptionValues {
  stat: boolean;
}

/** `switchyard enqueue PROJECT/BUCKET/KEY...`: queue files by hand for the next drain. */
export function enqueueCommand(io: Io, setExit: (code: number) => void): Command {
  return withCommonOptions(
    new Command('enqueue').description('queue files by hand for the next drain (`switchyard batch`)'),
    {
      queue: true,
      concurrency: false,
    },
  )
    .argument('<locations...>', 'PROJECT/BUCKET/KEY of each file')
    .option('--no-stat', 'queue without looking the files up (no generation or size in the event)')
    .action(async (locations: string[], options: EnqueueOptions) => {
      const config = await configFrom(options, io);
      const stores = new StoreRegistry(config);
      const queue = await openConfiguredQueue(config);
      try {
        const report = await enqueueLocations(stores, queue, locations, { stat: options.stat });
        if (options.json) {
          printJson(io, { queue: queue.name, ...report });
        } else {
          io.stdout.write(`queued ${report.queued} file(s) in ${queue.name}\n`);
          for (const m of report.missing)
            io.stderr.write(`warning: ${m} does not exist now (queued anyway)\n`);
        }
        setExit(0);
      } finally {
        await queue.close();
        await stores.close();
      }
    });
}
