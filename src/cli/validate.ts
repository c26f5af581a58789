import { Command } from 'commander';
import { ConfigInvalidError, type Problem } from '../errors.js';
import { readReferentialRows, validateRows } from '../referential/index.js';
import { configFrom, printJson, type CommonOptionValues, type Io } from './common.js';

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.column}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;
}

export function validateCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('validate')
    .description('check the referential (and switchyard.yaml); print each problem as FILE:LINE: column: message')
    .option('--routes <path>', 'routing referential (default routes.csv)')
    .option('--config <path>', 'switchyard.yaml (default: ./switchyard.yaml when present)')
    .option('--json', 'print { ok, errors, warnings } as JSON')
    .action(async (options: CommonOptionValues) => {
      const problems: Problem[] = [];
      let routes = 0;
      try {
        const config = configFrom(options, io);
        const rows = await readReferentialRows(config.routes);
        const validated = validateRows(rows);
        routes = validated.routes.length;
        problems.push(...validated.problems);
      } catch (error) {
        if (error instanceof ConfigInvalidError) {
          problems.push({ file: String(error.details.source), line: 1, column: 'config', message: error.message, severity: 'error' });
        } else if (error && typeof error === 'object' && 'problems' in error && Array.isArray(error.problems)) {
          problems.push(...(error.problems as Problem[]));
        } else {
          throw error;
        }
      }
      const errors = problems.filter((p) => p.severity === 'error');
      const warnings = problems.filter((p) => p.severity === 'warning');
      if (options.json) {
        printJson(io, { ok: errors.length === 0, routes, errors, warnings });
      } else {
        for (const p of [...errors, ...warnings]) io.stdout.write(`${formatProblem(p)}\n`);
        io.stderr.write(
          errors.length === 0
            ? `referential OK: ${routes} route(s), ${warnings.length} warning(s)\n`
            : `${errors.length} error(s), ${warnings.length} warning(s)\n`,
        );
      }
      setExit(errors.length > 0 ? 1 : 0);
    });
}
