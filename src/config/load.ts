import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigInvalidError } from '../model/errors.js';
import { resolveProjectPaths, type ProjectConfig } from '../storage/backends.js';
import { DEFAULT_CSV, type CsvOptions } from '../storage/transform.js';
import type { ParquetSettings } from '../storage/csv-parquet.js';
import { checkedConfigFile, type ConfigMemo } from './memo.js';
import { parquetSettings } from './parquet-settings.js';
import type { ConfigFile, QuietPeriods } from './schema.js';

/**
 * Events routed at once. Renames and server-side copies are cheap, and the
 * more run, the more share each ledger transaction and each folder fsync
 * (10,000 small moves: 5.0 s at 16, 2.9 s at 64, 2.6 s at 128, 2.3 s at 256
 * and 512); streamed copies are capped lower by the router.
 */
export const DEFAULT_CONCURRENCY = 256;

/** Flags every command shares; undefined means "not given". */
export interface CommonFlags {
  routes?: string;
  data?: string;
  state?: string;
  config?: string;
  queue?: string;
  ledger?: string;
  concurrency?: number;
  /** Interval (ms) between checks of the referential for a new version; 0 disables. */
  routesPoll?: number;
  dryRun?: boolean;
  json?: boolean;
}

/** The one typed configuration the core receives (file + env + flags, validated once). */
export interface RuntimeConfig {
  cwd: string;
  configFile?: string;
  /** Path or gs:// / s3:// URI of the referential. */
  routes: string;
  /** Project holding the bucket of a gs:// / s3:// referential (`routesProject`). */
  routesProject?: string;
  /** Interval (ms) between checks of the referential for a new version; 0 disables (default 30000). */
  routesPollMs?: number;
  dataRoot: string;
  stateDir: string;
  queueUrl: string;
  ledgerUrl: string;
  concurrency: number;
  dryRun: boolean;
  /** Declared projects; an `fs` one's `root` is resolved (the data root when not given). */
  projects: Record<string, ProjectConfig>;
  /**
   * Only declared projects may be used: true once `projects` declares one,
   * and always in the cloud entry points. False: any project the file does
   * not declare is a local folder under the data root.
   */
  declaredOnly: boolean;
  /** The folder watcher's quiet periods (`watch.settle`), if any. */
  watch: { settle?: QuietPeriods };
  /** How `csv-to-jsonl` rows read CSV (`csv`; default `,` and `"`). */
  csv?: CsvOptions;
  /** How `csv-to-parquet` rows write (`transforms.parquet`; default snappy, row groups of 65,536 rows or 64 MiB). */
  parquet?: ParquetSettings;
  server: NonNullable<ConfigFile['server']>;
  /** Bearer token for the HTTP receiver's actions, if any (from the env var the config names). */
  token?: string;
  env: Record<string, string | undefined>;
}

export const DEFAULT_CONFIG_FILE = 'switchyard.yaml';

export interface LoadOptions {
  /** Refuse undeclared projects even when `projects` declares none (cloud entry points). */
  declaredOnly?: boolean;
  /** The ledger when neither `--ledger` nor the file names one (default: SQLite in the state folder). */
  defaultLedger?: string;
  /** Where the CLI remembers the files it has checked (bin/switchyard.js); none: every run checks. */
  memo?: ConfigMemo;
}

/**
 * Reads `--config` (or `switchyard.yaml` when present), applies flags over it,
 * and resolves paths against the working directory. Flags win over the file.
 */
export async function loadConfig(
  flags: CommonFlags,
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
  options: LoadOptions = {},
): Promise<RuntimeConfig> {
  const explicit = flags.config !== undefined;
  const configPath = path.resolve(cwd, flags.config ?? DEFAULT_CONFIG_FILE);
  const found = existsSync(configPath);
  const file = await readConfigFile(configPath, found, explicit, options.memo);
  const base = found ? path.dirname(configPath) : cwd;
  const resolve = (p: string, from: string) => (isUri(p) ? p : path.resolve(from, p));

  const stateDir = flags.state
    ? resolve(flags.state, cwd)
    : resolve(file.state ?? '.switchyard', file.state ? base : cwd);
  const dataRoot = flags.data
    ? resolve(flags.data, cwd)
    : resolve(file.data ?? 'data', file.data ? base : cwd);
  const routes = flags.routes
    ? resolve(flags.routes, cwd)
    : resolve(file.routes ?? 'routes.csv', file.routes ? base : cwd);
  const projects = resolveProjects(file.projects, dataRoot, base);
  const concurrency = flags.concurrency ?? file.concurrency ?? DEFAULT_CONCURRENCY;
  checkConcurrency(concurrency, flags.concurrency);
  const server = file.server ?? {};
  const token = env[server.tokenEnv ?? 'SWITCHYARD_TOKEN'] || undefined;
  return {
    cwd,
    configFile: found ? configPath : undefined,
    routes,
    ...(file.routesProject !== undefined ? { routesProject: file.routesProject } : {}),
    routesPollMs: flags.routesPoll ?? file.routesPollMs ?? 30_000,
    dataRoot,
    stateDir,
    queueUrl: flags.queue ?? file.queue ?? `sqlite:${path.join(stateDir, 'queue.db')}`,
    ledgerUrl:
      flags.ledger ?? file.ledger ?? options.defaultLedger ?? `sqlite:${path.join(stateDir, 'ledger.db')}`,
    concurrency,
    dryRun: flags.dryRun ?? false,
    projects,
    declaredOnly: options.declaredOnly === true || Object.keys(projects).length > 0,
    watch: file.watch?.settle ? { settle: file.watch.settle } : {},
    ...(file.csv ? { csv: { ...DEFAULT_CSV, ...file.csv } } : {}),
    ...(file.transforms?.parquet ? { parquet: parquetSettings(file.transforms.parquet) } : {}),
    server,
    token,
    env,
  };
}

/** The parsed config file; when absent, an empty one, unless --config named it (then an error). */
async function readConfigFile(
  configPath: string,
  found: boolean,
  explicit: boolean,
  memo: ConfigMemo | undefined,
): Promise<ConfigFile> {
  if (found) {
    const text = readFileSync(configPath, 'utf8');
    return memo
      ? checkedConfigFile(memo, configPath, text, parseConfigFile)
      : parseConfigFile(text, configPath);
  }
  if (explicit) throw new ConfigInvalidError(configPath, 'config file not found', { path: configPath });
  return { projects: {} };
}

/** Declared projects, their relative paths resolved against the file's folder by their backend (an `fs` root: the data root when not given). */
function resolveProjects(
  declared: ConfigFile['projects'],
  dataRoot: string,
  base: string,
): Record<string, ProjectConfig> {
  const projects: Record<string, ProjectConfig> = {};
  for (const [name, project] of Object.entries(declared)) {
    projects[name] = resolveProjectPaths(project, base, dataRoot);
  }
  return projects;
}

/** The error names --concurrency and its value as given (a file value passed the schema already). */
function checkConcurrency(concurrency: number, flag: number | undefined): void {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigInvalidError('--concurrency', `expected a positive integer, got ${String(flag)}`);
  }
}

/** The projects rows may name when only declared ones may be used; undefined when any may. */
export function declaredProjects(
  config: Pick<RuntimeConfig, 'projects' | 'declaredOnly'>,
): string[] | undefined {
  return config.declaredOnly ? Object.keys(config.projects) : undefined;
}

/**
 * Parses and validates a config file. The schema (zod, a tenth of a second to
 * load) is imported here, so a run with no config file never loads it; the
 * YAML parser too (as the referential loader does for YAML referentials).
 */
export async function parseConfigFile(text: string, source: string): Promise<ConfigFile> {
  const { parse: parseYaml } = await import('yaml');
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigInvalidError(source, `not valid YAML: ${(error as Error).message}`);
  }
  const [{ configFileSchema }, { describeConfigIssues }] = await Promise.all([
    import('./schema.js'),
    import('./config-problems.js'),
  ]);
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = describeConfigIssues(parsed.error.issues, raw).map((i) => `${i.column}: ${i.message}`);
    throw new ConfigInvalidError(source, issues.join('; '), { issues });
  }
  return parsed.data;
}

function isUri(p: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(p);
}
