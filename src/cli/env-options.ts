import { InvalidArgumentError, type Command, type Option } from 'commander';
import { envVarOf } from '../config/env.js';

/**
 * The configuration flags: paths, URLs, numbers, durations, the log level,
 * what a container or a function sets once. Each can come from the
 * environment as `SWITCHYARD_<FLAG>` (envVarOf). Every other flag says what
 * one run does or shows (`--all`, `--dry-run`, `--json`, `--prefix`, …) and
 * is read from the command line only: NOT_FROM_ENV lists them, so a new flag
 * must be put on one side or the other (test/config/env-table.test.ts).
 */
export const CONFIG_FLAGS: ReadonlySet<string> = new Set([
  '--routes',
  '--data',
  '--state',
  '--config',
  '--ledger',
  '--queue',
  '--concurrency',
  '--routes-poll',
  '--log-level',
  '--port',
  '--host',
  '--settle',
  '--body-limit',
  '--mode',
  '--schedule',
  '--timezone',
  '--max-batch',
  '--time-budget',
  '--grace',
  '--group-check',
  '--max-attempts',
  '--lease',
  '--retry-delay',
  '--wait',
  '--progress-every',
  '--idle-exit',
  '--temp-max-age',
  '--manifest-every',
]);

/** Flags of one run, never read from the environment. */
export const NOT_FROM_ENV: ReadonlySet<string> = new Set([
  '--version',
  '--help',
  '--json',
  '--dry-run',
  '--all',
  '--limit',
  '--dir',
  '--no-watch',
  '--public-reads',
  '--no-stat',
  '--prefix',
  '--min-age',
  '--max-age',
  '--progress',
  '--verbose',
]);

/** Names the variable of every configuration flag of `command` and its sub-commands (shown by --help as `env: …`). */
export function declareEnv(command: Command): void {
  for (const option of command.options as Option[]) {
    if (option.long !== undefined && CONFIG_FLAGS.has(option.long)) option.env(envVarOf(option.long));
  }
  for (const sub of command.commands) declareEnv(sub);
}

/**
 * Applies `env` to the options of the command about to run, with the
 * precedence flag > environment > switchyard.yaml > default: a variable
 * fills an option the command line did not give, parsed and checked like
 * the flag, and an invalid value is an error naming the variable (exit 2).
 * Commander reads `process.env` itself; this reads the Io's environment
 * (the same one when run as a program), so that what a test passes is what
 * counts.
 */
export function applyEnv(command: Command, env: Record<string, string | undefined>): void {
  for (const option of command.options as Option[]) {
    const name = option.envVar;
    if (name === undefined) continue;
    const key = option.attributeName();
    const source = command.getOptionValueSource(key);
    if (source === 'cli') continue;
    const raw = env[name];
    if (raw !== undefined) {
      command.setOptionValueWithSource(key, parsed(command, option, name, raw), 'env');
    } else if (source === 'env') {
      command.setOptionValueWithSource(key, option.defaultValue, 'default');
    }
  }
}

/** `raw` through the flag's own parser; Commander's message for a bad value from the environment, naming it. */
function parsed(command: Command, option: Option, name: string, raw: string): unknown {
  if (!option.parseArg) return raw;
  try {
    return option.parseArg(raw, option.defaultValue);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    return command.error(
      `error: option '${option.flags}' value '${raw}' from env '${name}' is invalid. ${error.message}`,
      { exitCode: error.exitCode, code: error.code },
    );
  }
}
