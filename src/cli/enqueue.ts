import { Command } from 'commander';
import { enqueueLocations } from '../drains/batch-enqueue.js';
import { openConfiguredQueue } from '../queue/url.js';
import { StoreRegistry } from '../storage/registry.js';
import type { RuntimeConfig } from '../config/load.js';
import { formatLocation } from '../model/keys.js';
import { referentialAccess, referentialChecks } from '../referential/config-checks.js';
import { loadReferentialAt } from '../referential/source.js';
import { isObjectUri, resolveLocation } from '../referential/uri-location.js';
import { configFrom, printJson, withCommonOptions, type CommonOptionValues, type Io } from './common.js';

interface EnqueueOptions extends CommonOptionValues {
  stat: boolean;
}

/**
 * `PROJECT/BUCKET/KEY` for each location: a gs:// or s3:// one is mapped to
 * its project by the referential's buckets (loaded only when one is given).
 */
async function projectLocations(
  config: RuntimeConfig,
  stores: StoreRegistry,
  locations: string[],
): Promise<string[]> {
  if (!locations.some(isObjectUri)) return locations;
  const { referential } = await loadReferentialAt(
    config.routes,
    referentialAccess(config, (project) => stores.storeFor(project)),
    referentialChecks(config),
  );
  return locations.map((text) => formatLocation(resolveLocation(text, referential, config.projects)));
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
    .argument('<locations...>', 'PROJECT/BUCKET/KEY of each file, or gs://BUCKET/KEY or s3://BUCKET/KEY')
    .option('--no-stat', 'queue without looking the files up (no generation or size in the event)')
    .action(async (locations: string[], options: EnqueueOptions) => {
      const config = await configFrom(options, io);
      const stores = new StoreRegistry(config);
      const queue = await openConfiguredQueue(config);
      try {
        const resolved = await projectLocations(config, stores, locations);
        const report = await enqueueLocations(stores, queue, resolved, { stat: options.stat });
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
