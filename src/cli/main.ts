import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { batchCommand } from './batch.js';
import { processIo, reportError, type Io } from './common.js';
import { deadLettersCommand } from './dead-letters.js';
import { demoCommand } from './demo.js';
import { enqueueCommand } from './enqueue.js';
import { explainCommand } from './explain.js';
import { scanCommand } from './scan.js';
import { serveCommand } from './serve.js';
import { statusCommand } from './status.js';
import { validateCommand } from './validate.js';
import { workerCommand } from './worker.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export type CommandFactory = (io: Io, setExit: (code: number) => void) => Command;

/** Commands registered by later modes (serve, batch, …) are added here. */
export const COMMANDS: CommandFactory[] = [validateCommand, explainCommand, scanCommand, statusCommand, demoCommand, serveCommand, batchCommand, enqueueCommand, deadLettersCommand, workerCommand];

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('switchyard')
    .description('route files landing in object storage to where they belong, by a routing referential')
    .version(version)
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  for (const factory of COMMANDS) program.addCommand(factory(io, setExit).exitOverride().configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
  }));
  return program;
}

/** Runs the CLI; resolves to the exit code (never calls process.exit). */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exit = 0;
  const program = buildProgram(io, (code) => (exit = code));
  try {
    await program.parseAsync(argv);
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportError(io, error, argv.includes('--json'));
  }
}
