import { Command } from 'commander';
import type { Problem } from '../model/errors.js';
import { diffFiles, type FilesDiff } from '../modes/files-diff.js';
import { formatProblem } from '../referential/index.js';
import { diffRows, diffRowsOf, rowLabel, type DiffRow, type RowDiff } from '../referential/row-diff.js';
import { StoreRegistry } from '../storage/registry.js';
import { configFrom, printJson, type CommonOptionValues, type Io } from './common.js';
import { readReferentialInput, type ReferentialInput } from './referential-input.js';
import { formatTable } from './table.js';

/** What `diff --json` prints, exactly. */
export interface DiffJson {
  rows: { added: number; removed: number; changed: number };
  files: FilesDiff;
}

export function diffCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('diff')
    .description(
      'compare two referentials: rows added, removed and changed, and which files now in the source buckets ' +
        'would go elsewhere under NEW than under OLD (listed through the stores; nothing is moved)',
    )
    .argument(
      '<old>',
      'the referential in effect: a .csv, .yaml or .json file, gs://BUCKET/KEY / s3://BUCKET/KEY, or bq://PROJECT.DATASET.TABLE',
    )
    .argument('<new>', 'the referential to compare with it, likewise')
    .option('--data <dir>', 'data root for local projects (default ./data)')
    .option('--config <path>', 'switchyard.yaml (default: ./switchyard.yaml when present)')
    .option(
      '--json',
      'print one JSON object: {"rows": {added, removed, changed}, "files": {changed, unrouted, "byRoute": [{from, to, files, examples}]}}',
    )
    .action(async (oldLocation: string, newLocation: string, options: CommonOptionValues) => {
      const config = await configFrom(options, io);
      const stores = new StoreRegistry(config);
      try {
        const storeFor = (project: string) => stores.storeFor(project);
        const before = await readReferentialInput(oldLocation, config, io.cwd, storeFor);
        const after = await readReferentialInput(newLocation, config, io.cwd, storeFor);
        if (!before.ok || !after.ok) {
          printInvalid(io, [before, after], options.json);
          setExit(2);
          return;
        }
        const rows = diffRows(diffRowsOf(before.rows, before.routes), diffRowsOf(after.rows, after.routes));
        const { listed, ...files } = await diffFiles(before.referential, after.referential, stores);
        if (options.json) {
          const json: DiffJson = {
            rows: { added: rows.added.length, removed: rows.removed.length, changed: rows.changed.length },
            files,
          };
          printJson(io, json);
        } else {
          const named = new Map([
            [before.source, oldLocation],
            [after.source, newLocation],
          ]);
          io.stdout.write(`${formatRows(rows, named)}\n${formatFiles(files, listed)}`);
        }
        setExit(0);
      } finally {
        await stores.close();
      }
    });
}

/** The errors of each invalid side as FILE:LINE: column: message (as `validate` prints them), or one JSON error. */
function printInvalid(io: Io, inputs: ReferentialInput[], json: boolean | undefined): void {
  const invalid = inputs.filter((i): i is Extract<ReferentialInput, { ok: false }> => !i.ok);
  const problems: Problem[] = invalid.flatMap((i) => i.problems);
  const sources = invalid.map((i) => i.source);
  if (json) {
    printJson(io, {
      error: {
        code: 'E_REFERENTIAL_INVALID',
        message: `[switchyard] [referential] ${sources.join(' and ')}: ${problems.length} error(s)`,
        details: { sources, problems },
      },
    });
    return;
  }
  for (const p of problems) io.stdout.write(`${formatProblem(p)}\n`);
  io.stderr.write(`${problems.length} error(s) in ${sources.join(' and ')}: nothing compared\n`);
}

/** The rows' table; `named` gives each referential as the command line named it. */
function formatRows(diff: RowDiff, named: ReadonlyMap<string, string>): string {
  const at = (row: DiffRow) => `${named.get(row.route.file) ?? row.route.file}:${row.route.line}`;
  const lines = [
    ...diff.added.map((r) => ['added', rowLabel(r), at(r), '']),
    ...diff.removed.map((r) => ['removed', rowLabel(r), at(r), '']),
    ...diff.changed.map((c) => ['changed', rowLabel(c.new), at(c.new), c.fields.join(', ')]),
  ];
  const head = `rows: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed\n`;
  return lines.length === 0 ? head : `${head}${formatTable(['row', 'route', 'at', 'fields'], lines)}\n`;
}

function formatFiles(files: FilesDiff, listed: number): string {
  const head =
    `files: ${listed} listed, ${files.changed} would go elsewhere, ` +
    `${files.unrouted} would become unrouted\n`;
  if (files.byRoute.length === 0) return head;
  const lines = files.byRoute.map((c) => [
    c.from ?? '(none)',
    c.to ?? '(none)',
    String(c.files),
    c.examples.join(', '),
  ]);
  return `${head}${formatTable(['from', 'to', 'files', 'examples'], lines)}\n`;
}
