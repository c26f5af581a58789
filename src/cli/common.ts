import { InvalidArgumentError, type Command } from 'commander';
import { DURATION_EXAMPLES, parseDuration } from '../config/duration.js';
import { checkLocalRoots } from '../config/local-roots.js';
import { loadConfig, type CommonFlags, type RuntimeConfig } from '../config/load.js';
import type { ConfigMemo } from '../config/memo.js';
import { errorCode, errorMessage, SwitchyardError, UsageError } from '../model/errors.js';
import { createLogger, type Logger } from '../util/log.js';
import { FdWriter } from './fd-writer.js';
import { routeSdkWarnings } from '../util/sdk-warnings.js';

/** What a command's action returns: the process exit code. */
export type ExitCode = number;

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Where checked configuration files are remembered (given by bin/switchyard.js); none: every run checks. */
  memo?: ConfigMemo;
}

/** The process's own: standard output and error written straight to their descriptors (FdWriter). */
export const processIo = (): Io => ({ ...processStreams(), env: process.env, cwd: currentFolder() });

/** Standard output and error as FdWriters: Node's `process.stdout` and `process.stderr` are never made. */
export const processStreams = (): Pick<Io, 'stdout' | 'stderr'> => ({
  stdout: new FdWriter(1),
  stderr: new FdWriter(2),
});

/** The process's working folder; one removed since the shell entered it is a usage error, not a crash. */
function currentFolder(): string {
  try {
    return process.cwd();
  } catch (error) {
    throw new UsageError(
      `[switchyard] the current folder cannot be read (${errorCode(error)}: it was removed or renamed after the shell entered it): run switchyard from an existing folder`,
      { code: errorCode(error) },
    );
  }
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

/** Durations like `500ms`, `30s`, `5m`, `1h`, or plain milliseconds. */
export function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(`expected ${DURATION_EXAMPLES}, got "${value}"`);
  return ms;
}

/**
 * The options every command that touches data shares. A long-running command
 * (`daemon`: serve, worker) logs at info by default, a one-shot command at
 * warn; `--help` shows the command's own default.
 */
export function withCommonOptions(
  command: Command,
  extra: { queue?: boolean; concurrency?: boolean; daemon?: boolean } = {},
): Command {
  command
    .option(
      '--routes <path>',
      'routing referential (CSV, YAML or JSON; gs:// or s3:// URI, or bq://PROJECT.DATASET.TABLE)',
      undefined,
    )
    .option('--data <dir>', 'data root for local projects: DATA/<project>/<bucket>/<key> (default ./data)')
    .option('--state <dir>', 'state folder for the SQLite ledger and queue (default ./.switchyard)')
    .option('--config <path>', 'switchyard.yaml (default: ./switchyard.yaml when present)')
    .option('--ledger <url>', 'ledger URL: sqlite:PATH or postgres://…')
    .option(
      '--json',
      extra.daemon
        ? 'on exit, one JSON object on standard output: the error that stopped it, or (worker) its final counts; logs go to standard error'
        : 'print one JSON object on standard output (logs go to standard error)',
    )
    .option('--dry-run', 'plan only: write, delete and record nothing')
    .option(
      '--routes-poll <duration>',
      're-read the referential when it changes, checking this often (default 30s; 0 disables)',
      duration,
    )
    .option(
      '--log-level <level>',
      'trace, debug, info, warn, error or silent',
      extra.daemon ? 'info' : 'warn',
    );
  if (extra.concurrency !== false) {
    command.option(
      '--concurrency <n>',
      'events routed at once (default 256; at most 8 of them stream bytes through the process)',
      positiveInt,
    );
  }
  if (extra.queue) command.option('--queue <url>', 'queue URL: sqlite:PATH, nats://…, pubsub://…, sqs://…');
  return command;
}

export interface CommonOptionValues extends CommonFlags {
  logLevel?: string;
}

/**
 * The configuration of a command: file, environment and flags. Unless
 * `localRoots` is false (a command that never touches local folders), the
 * folders local-folder projects live under must exist (see checkLocalRoots).
 */
export async function configFrom(
  options: CommonOptionValues,
  io: Io,
  checks: { localRoots?: boolean } = {},
): Promise<RuntimeConfig> {
  const config = await loadConfig(
    {
      routes: options.routes,
      data: options.data,
      state: options.state,
      config: options.config,
      queue: options.queue,
      ledger: options.ledger,
      concurrency: options.concurrency,
      routesPoll: options.routesPoll,
      dryRun: options.dryRun,
      json: options.json,
    },
    io.env,
    io.cwd,
    io.memo ? { memo: io.memo } : {},
  );
  if (checks.localRoots !== false) checkLocalRoots(config);
  return config;
}

/**
 * The logger of a one-shot command: each line written when logged, nothing
 * left to flush at exit; the cloud SDKs' warnings (the AWS SDK's
 * Node-version notice) go through it as JSON lines.
 */
export function loggerFrom(options: CommonOptionValues): Logger {
  const logger = createLogger({ level: options.logLevel ?? 'warn', sync: true });
  routeSdkWarnings(logger);
  return logger;
}

/**
 * The logger of a long-running command (serve, worker): its level is the
 * option's (info by default, see withCommonOptions); lines written
 * asynchronously; the SDKs' warnings through it, as loggerFrom's.
 */
export function daemonLoggerFrom(options: CommonOptionValues): Logger {
  const logger = createLogger({ level: options.logLevel ?? 'info' });
  routeSdkWarnings(logger);
  return logger;
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Errors of the command line or the configuration: exit code 2 (anything else that stops a command: 1). */
const CONFIG_CODES = new Set([
  'E_USAGE',
  'E_CONFIG_INVALID',
  'E_PROJECT_UNDECLARED',
  'E_REFERENTIAL_MISSING',
]);

/** Prints an error (as JSON on stdout with --json) and returns its exit code. */
export function reportError(io: Io, error: unknown, json: boolean | undefined): ExitCode {
  const described = errorJson(error);
  if (json) {
    printJson(io, { error: described });
  } else {
    const { code, message } = described;
    io.stderr.write(`switchyard: ${message}${message.includes(code) ? '' : ` (${code})`}\n`);
  }
  return exitCodeOf(error);
}

/** An error as `--json` prints it: its code, message and details. */
export function errorJson(error: unknown): { code: string; message: string; details?: unknown } {
  const details = error instanceof SwitchyardError ? error.details : undefined;
  return { code: errorCode(error), message: errorMessage(error), ...(details ? { details } : {}) };
}

/** The exit code of an error that stops a command. */
export function exitCodeOf(error: unknown): ExitCode {
  return CONFIG_CODES.has(errorCode(error)) ? 2 : 1;
}

/** A one-line progress bar on a terminal; periodic log lines otherwise. */
export function progressReporter(
  io: Io,
  label: string,
  enabled: boolean,
  logger?: Logger,
): (done: number, total: number) => void {
  let last = 0;
  const tty = Boolean(io.stderr.isTTY);
  return (done, total) => {
    if (!enabled) return;
    const now = Date.now();
    const finished = done === total;
    if (!finished && now - last < (tty ? 100 : 5000)) return;
    last = now;
    if (tty) {
      const width = 30;
      const ratio = total === 0 ? 1 : done / total;
      const bar = '#'.repeat(Math.round(ratio * width)).padEnd(width, '-');
      io.stderr.write(
        `\r${label} [${bar}] ${done}/${total} ${Math.round(ratio * 100)}%${finished ? '\n' : ''}`,
      );
    } else {
      logger?.info({ done, total }, `${label}: ${done}/${total}`);
    }
  };
}
