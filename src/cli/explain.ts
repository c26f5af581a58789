import { Command } from 'commander';
import { UsageError } from '../model/errors.js';
import { formatLocation } from '../model/keys.js';
import { resolveLocation } from '../referential/uri-location.js';
import { explain, type ExplainGroup } from '../router/explain.js';
import { StoreRegistry } from '../storage/registry.js';
import { referentialAccess, referentialChecks } from '../referential/config-checks.js';
import { loadReferentialAt } from '../referential/source.js';
import { configFrom, printJson, type CommonOptionValues, type Io } from './common.js';
import { formatTable } from './table.js';

export function explainCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('explain')
    .description('show which rows match an object and where it would go (the object need not exist)')
    .argument(
      '<location>',
      'PROJECT/BUCKET/KEY (e.g. source_bucket/raw_data/finance_2024.csv), or gs://BUCKET/KEY or s3://BUCKET/KEY',
    )
    .option(
      '--routes <path>',
      'routing referential (default routes.csv; gs:// or s3:// URI, or bq://PROJECT.DATASET.TABLE)',
    )
    .option('--data <dir>', 'data root for local projects (default ./data)')
    .option('--config <path>', 'switchyard.yaml (default: ./switchyard.yaml when present)')
    .option('--json', 'print one JSON object')
    .action(async (location: string, options: CommonOptionValues) => {
      const config = await configFrom(options, io);
      const stores = new StoreRegistry(config);
      try {
        const { referential } = await loadReferentialAt(
          config.routes,
          referentialAccess(config, (project) => stores.storeFor(project)),
          referentialChecks(config),
        );
        const source = async () => formatLocation(resolveLocation(location, referential, config.projects));
        const result = await source()
          .then((text) => explain(referential, stores, text))
          .catch((error: unknown) => {
            throw error instanceof Error && 'code' in error && error.code === 'E_KEY_UNSAFE'
              ? new UsageError(error.message, { location })
              : error;
          });
        if (options.json) {
          printJson(io, result);
        } else if (result.matches.length === 0 && result.groups.length === 0) {
          io.stdout.write(`${result.source}: no row matches; the file would stay where it is (unrouted)\n`);
        } else {
          const renamed = result.matches.some((m) => m.destinationName !== result.name);
          const rows = result.matches.map((m) => [
            m.route,
            `${m.file}:${m.line}`,
            m.action,
            m.destination,
            ...(renamed ? [m.destinationName] : []),
          ]);
          const columns = ['route', 'row', 'action', 'destination', ...(renamed ? ['name'] : [])];
          if (rows.length > 0) io.stdout.write(`${formatTable(columns, rows)}\n`);
          for (const g of result.groups) io.stdout.write(`${groupLine(g)}\n`);
          for (const r of result.refused) io.stdout.write(`${r.route}: refused: ${r.message}\n`);
          if (!result.exists) io.stderr.write(`note: ${result.note}\n`);
        }
        setExit(0);
      } finally {
        await stores.close();
      }
    });
}

/** One sentence on the group a file belongs to: whether it would go now or wait, and for what. */
export function groupLine(g: ExplainGroup): string {
  const role =
    g.role === 'marker'
      ? `${g.route}: this file is a marker (complete_when ${g.completeWhen}): it goes last, after its group`
      : `${g.route}: this file travels with its folder's group (complete_when ${g.completeWhen})`;
  switch (g.state) {
    case 'unknown':
      return `${role}; the folder could not be listed, so whether the group is complete is unknown`;
    case 'complete':
      return `${role}; the group is complete (${g.markers.join(', ')}; ${g.members} member(s)): it would be delivered now`;
    case 'waiting': {
      const why = g.unlisted
        ? `no manifest in the folder lists it (${g.markers.join(', ')})`
        : g.markers.length === 0
          ? 'no marker is in the folder yet'
          : `the manifest names ${g.missing.length} file(s) not there as named: ${g.missing.slice(0, 5).join(', ')}${g.missing.length > 5 ? ', …' : ''}`;
      return `${role}; it would wait (outcome waiting): ${why}; ${g.members} member(s) in the folder now`;
    }
  }
}
