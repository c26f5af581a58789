import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkConfigText, type ConfigCheck } from '../config/config-problems.js';
import { DEFAULT_CONFIG_FILE, type RuntimeConfig } from '../config/load.js';
import { checkLocalRoots } from '../config/local-roots.js';
import { referentialAccess, referentialChecks } from '../referential/config-checks.js';
import { ConfigInvalidError, errorMessage, SwitchyardError, type Problem } from '../model/errors.js';
import { readReferentialRows, validateRows } from '../referential/index.js';
import { isRemoteLocation, readReferentialRowsAt } from '../referential/readers.js';
import { StoreRegistry } from '../storage/registry.js';
import { configFrom, printJson, type CommonOptionValues, type Io } from './common.js';

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.column}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;
}

export function validateCommand(io: Io, setExit: (code: number) => void): Command {
  return declareValidateOptions().action(async (options: CommonOptionValues) => {
    const problems: Problem[] = [];
    let routes = 0;
    let projects: string[] = [];
    const check = await checkConfigFile(options, io, problems);
    const config = problems.some((p) => p.severity === 'error')
      ? undefined
      : await configOrProblem(options, io, problems);
    if (config) {
      const checked = await checkAgainstConfig(config, check);
      routes = checked.routes;
      projects = checked.projects;
      problems.push(...checked.problems);
    }
    const errors = problems.filter((p) => p.severity === 'error');
    const warnings = problems.filter((p) => p.severity === 'warning');
    if (options.json) printJson(io, { ok: errors.length === 0, routes, projects, errors, warnings });
    else printProblems(io, { errors, warnings, routes, projects, configChecked: check !== undefined });
    setExit(errors.length > 0 ? 1 : 0);
  });
}

/** The `validate` command with its options (names, defaults and help text). */
function declareValidateOptions(): Command {
  return new Command('validate')
    .description(
      'check the referential and switchyard.yaml (keys, types, credentials by reference, each project backend constructible); ' +
        'print each problem as FILE:LINE: column: message',
    )
    .option(
      '--routes <path>',
      'routing referential (default routes.csv; gs:// or s3:// URI, or bq://PROJECT.DATASET.TABLE)',
    )
    .option('--data <dir>', 'data root for local projects (default ./data)')
    .option('--config <path>', 'switchyard.yaml (default: ./switchyard.yaml when present)')
    .option('--json', 'print { ok, routes, projects, errors, warnings } as JSON');
}

/** The configuration, or undefined with its ConfigInvalidError pushed as a problem of its source. */
async function configOrProblem(
  options: CommonOptionValues,
  io: Io,
  problems: Problem[],
): Promise<RuntimeConfig | undefined> {
  try {
    return await configFrom(options, io, { localRoots: false });
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    problems.push({
      file: String(error.details.source),
      line: 1,
      column: 'config',
      message: error.message,
      severity: 'error',
    });
    return undefined;
  }
}

/**
 * The checks that need a loaded configuration: local roots, every project's
 * backend, the referential, `watch.settle` (once the referential has routes).
 */
async function checkAgainstConfig(
  config: RuntimeConfig,
  check: ConfigCheck | undefined,
): Promise<{ routes: number; projects: string[]; problems: Problem[] }> {
  const problems: Problem[] = [];
  let routes = 0;
  let projects: string[] = [];
  const stores = new StoreRegistry(config);
  try {
    projects = Object.keys(config.projects);
    problems.push(...localRootProblems(config, check));
    problems.push(...(await checkBackends(config, stores, check)));
    const validated = await validateReferential(config, stores, check);
    routes = validated.routes;
    problems.push(...validated.problems);
    if (routes > 0) problems.push(...settleProblems(config, check, validated.sources));
  } finally {
    await stores.close();
  }
  return { routes, projects, problems };
}

/** Each problem on stdout, errors first; the verdict on stderr. */
function printProblems(
  io: Io,
  result: {
    errors: Problem[];
    warnings: Problem[];
    routes: number;
    projects: string[];
    configChecked: boolean;
  },
): void {
  const { errors, warnings, routes, projects } = result;
  for (const p of [...errors, ...warnings]) io.stdout.write(`${formatProblem(p)}\n`);
  io.stderr.write(
    errors.length === 0
      ? `referential OK: ${routes} route(s), ${warnings.length} warning(s)` +
          (result.configChecked ? `; config OK: ${projects.length} project(s)\n` : '\n')
      : `${errors.length} error(s), ${warnings.length} warning(s)\n`,
  );
}

/** Checks switchyard.yaml (when present, or named by --config) with line numbers. */
async function checkConfigFile(
  options: CommonOptionValues,
  io: Io,
  problems: Problem[],
): Promise<ConfigCheck | undefined> {
  const file = path.resolve(io.cwd, options.config ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    if (options.config !== undefined) {
      problems.push({ file, line: 1, column: '(file)', message: 'config file not found', severity: 'error' });
    }
    return undefined;
  }
  const check = checkConfigText(await readFile(file, 'utf8'), file);
  problems.push(...check.problems);
  return check;
}

/** Builds every project's store as routing would (credentials resolved, clients created), without a network call. */
async function checkBackends(
  config: RuntimeConfig,
  stores: StoreRegistry,
  check: ConfigCheck | undefined,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const file = config.configFile ?? 'switchyard.yaml';
  for (const [name, project] of Object.entries(config.projects)) {
    const at = (option: string | undefined, message: string): Problem => ({
      file,
      line: check?.lineOf(option ? ['projects', name, option] : ['projects', name]) ?? 1,
      column: option ? `projects.${name}.${option}` : `projects.${name}`,
      message: `project \`${name}\`${option ? `, key \`${option}\`` : ''}: ${message}`,
      severity: 'error',
    });
    if (
      project.backend === 'gcs' &&
      project.keyFile &&
      !existsSync(path.resolve(config.cwd, project.keyFile))
    ) {
      problems.push(
        at('keyFile', `expected the path of a service account key file, got ${project.keyFile} (not found)`),
      );
      continue;
    }
    try {
      await stores.storeFor(name);
    } catch (error) {
      const option =
        error instanceof SwitchyardError && typeof error.details.option === 'string'
          ? error.details.option
          : undefined;
      problems.push(at(option, `cannot build its ${project.backend} backend: ${errorMessage(error)}`));
    }
  }
  return problems;
}

/** A local root (the data root, an `fs` project's `root`) that is not an existing folder, at its key in the file. */
function localRootProblems(config: RuntimeConfig, check: ConfigCheck | undefined): Problem[] {
  try {
    checkLocalRoots(config);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    const option = String(error.details.option);
    return [
      {
        file: config.configFile ?? 'switchyard.yaml',
        line: check?.lineOf(option.split('.')) ?? 1,
        column: option,
        message: error.message,
        severity: 'error',
      },
    ];
  }
}

/** `watch.settle` naming a bucket that is not a source bucket of the referential: it would change nothing. */
function settleProblems(
  config: RuntimeConfig,
  check: ConfigCheck | undefined,
  sources: ReadonlySet<string>,
): Problem[] {
  return Object.keys(config.watch.settle?.buckets ?? {})
    .filter((bucket) => !sources.has(bucket))
    .map((bucket) => ({
      file: config.configFile ?? 'switchyard.yaml',
      line: check?.lineOf(['watch', 'settle', bucket]) ?? 1,
      column: `watch.settle.${bucket}`,
      message: `key \`watch.settle.${bucket}\`: expected a source bucket of the referential (PROJECT/BUCKET), got one no row reads from: this quiet period applies to nothing`,
      severity: 'warning' as const,
    }));
}

async function validateReferential(
  config: RuntimeConfig,
  stores: StoreRegistry,
  check: ConfigCheck | undefined,
): Promise<{ routes: number; problems: Problem[]; sources: Set<string> }> {
  try {
    const source = config.routes;
    const rows = isRemoteLocation(source)
      ? await readReferentialRowsAt(
          source,
          referentialAccess(config, (project) => stores.storeFor(project)),
        )
      : await readReferentialRows(source);
    const validated = validateRows(rows, { source, ...referentialChecks(config) });
    return {
      routes: validated.routes.length,
      problems: validated.problems,
      sources: new Set(validated.routes.map((r) => `${r.sourceProject}/${r.sourceBucket}`)),
    };
  } catch (error) {
    if (error && typeof error === 'object' && 'problems' in error && Array.isArray(error.problems)) {
      return { routes: 0, problems: error.problems as Problem[], sources: new Set() };
    }
    if (error instanceof ConfigInvalidError) {
      const option = typeof error.details.option === 'string' ? error.details.option : 'routes';
      return {
        routes: 0,
        sources: new Set(),
        problems: [
          {
            file: config.configFile ?? 'switchyard.yaml',
            line: check?.lineOf([option]) ?? 1,
            column: option,
            message: error.message,
            severity: 'error',
          },
        ],
      };
    }
    if (error instanceof SwitchyardError) {
      return {
        routes: 0,
        sources: new Set(),
        problems: [{ file: config.routes, line: 1, column: '', message: error.message, severity: 'error' }],
      };
    }
    throw error;
  }
}
