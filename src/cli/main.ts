import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { processIo, processStreams, reportError, type Io } from './common.js';
import type { ConfigMemo } from '../config/memo.js';
import { applyEnv, declareEnv } from './env-options.js';
import { createLogger } from '../util/log.js';
import { routeSdkWarnings } from '../util/sdk-warnings.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export type CommandFactory = (io: Io, setExit: (code: number) => void) => Command;

/**
 * Every command, by name, loaded on demand: a run imports only the module of
 * the command it names (the HTTP server, JWT and cloud SDKs stay unloaded for
 * a scan), which keeps start-up short for cron jobs and benchmarks.
 */
const COMMANDS: Record<string, () => Promise<CommandFactory>> = {
  validate: async () => (await import('./validate.js')).validateCommand,
  explain: async () => (await import('./explain.js')).explainCommand,
  diff: async () => (await import('./diff.js')).diffCommand,
  scan: async () => (await import('./scan.js')).scanCommand,
  status: async () => (await import('./status.js')).statusCommand,
  demo: async () => (await import('./demo.js')).demoCommand,
  serve: async () => (await import('./serve.js')).serveCommand,
  batch: async () => (await import('./batch.js')).batchCommand,
  enqueue: async () => (await import('./enqueue.js')).enqueueCommand,
  'dead-letters': async () => (await import('./dead-letters.js')).deadLettersCommand,
  worker: async () => (await import('./worker.js')).workerCommand,
};

/** The command a command line names (the first argument that is not an option), if it is one of ours. */
function namedCommand(argv: string[]): string | undefined {
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
}

/** Only `--version` (`-V`), with no command: no command module is needed to answer it. */
function versionOnly(argv: string[]): boolean {
  const args = argv.slice(2);
  return args.length === 1 && (args[0] === '--version' || args[0] === '-V');
}

/** The program with the commands `argv` needs: the one it names, none for `--version`, or all of them (help, a typo). */
export async function buildProgram(
  io: Io,
  setExit: (code: number) => void,
  argv: string[] = [],
): Promise<Command> {
  const program = new Command('switchyard')
    .description('route files landing in object storage to where they belong, by a routing referential')
    .version(version)
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  const named = namedCommand(argv);
  const names = named ? [named] : versionOnly(argv) ? [] : Object.keys(COMMANDS);
  const factories = await Promise.all(
    names.map((name) => (COMMANDS[name] as () => Promise<CommandFactory>)()),
  );
  for (const factory of factories)
    program.addCommand(
      factory(io, setExit)
        .exitOverride()
        .configureOutput({
          writeOut: (s) => io.stdout.write(s),
          writeErr: (s) => io.stderr.write(s),
        }),
    );
  declareEnv(program);
  program.hook('preAction', (_program, command) => applyEnv(command, io.env));
  return program;
}

/**
 * Runs the CLI; resolves to the exit code (never calls process.exit).
 * `memo`: where bin/switchyard.js lets the run remember the configuration
 * files it checked (src/config/memo.ts).
 */
export async function main(argv: string[], given?: Io, memo?: ConfigMemo): Promise<number> {
  let exit = 0;
  // Commands without a logger of their own (status, dead-letters, enqueue) may
  // open an SDK client too: its warnings are JSON lines as well (loggerFrom
  // takes them over for the commands that log).
  routeSdkWarnings(createLogger({ level: 'warn' }));
  let io: Io = given ?? { ...processStreams(), env: process.env, cwd: '' };
  try {
    io = given ?? { ...processIo(), ...(memo ? { memo } : {}) };
    const program = await buildProgram(io, (code) => (exit = code), argv);
    await program.parseAsync(argv);
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportError(io, error, argv.includes('--json'));
  }
}
