// The README's configuration table and the code stay in step: every
// configuration flag of every command has its row (variable, flag, commands),
// and the table names no variable, flag or command that does not exist.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { processIo } from '../../src/cli/common.js';
import { buildProgram } from '../../src/cli/main.js';
import { commonFlagsFromEnv, envVarOf } from '../../src/config/env.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MARKER = '<!-- configuration-table:';

interface Row {
  variable: string;
  flag: string;
  commands: string[];
  cloud: string;
}

/** The rows of the table that follows the marker. */
function readmeRows(): Row[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(MARKER);
  expect(start, 'README.md has the configuration table marker').toBeGreaterThan(-1);
  const lines = readme.slice(start).split('\n').slice(1);
  const table = lines.slice(
    0,
    lines.findIndex((l) => !l.startsWith('|')),
  );
  const cells = (line: string) =>
    line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim().replace(/^`|`$/g, ''));
  expect(cells(table[0]!).slice(0, 5)).toEqual([
    'variable',
    'flag',
    'commands',
    'switchyard.yaml',
    'cloud functions',
  ]);
  return table.slice(2).map((line) => {
    const [variable, flag, commands, , cloud] = cells(line);
    return {
      variable: variable!,
      flag: flag!,
      commands: commands ? commands.split(', ') : [],
      cloud: cloud!,
    };
  });
}

/** Each variable a configuration flag reads, with its flag and the commands that have it (`dead-letters` for its sub-commands). */
async function codeVariables(): Promise<Map<string, { flag: string; commands: Set<string> }>> {
  const program = await buildProgram(processIo(), () => {});
  const found = new Map<string, { flag: string; commands: Set<string> }>();
  const walk = (command: Command, name: string | undefined) => {
    for (const option of command.options) {
      if (option.envVar === undefined || name === undefined) continue;
      const entry = found.get(option.envVar) ?? { flag: option.long!, commands: new Set<string>() };
      entry.commands.add(name);
      found.set(option.envVar, entry);
    }
    for (const sub of command.commands) walk(sub, name ?? sub.name());
  };
  walk(program, undefined);
  return found;
}

function sourceText(dir: string): string {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

describe('README configuration table', () => {
  it('has a row for every configuration flag, with its commands', async () => {
    const rows = new Map(readmeRows().map((r) => [r.variable, r]));
    for (const [variable, { flag, commands }] of await codeVariables()) {
      const row = rows.get(variable);
      expect(row, `README row for ${variable}`).toBeDefined();
      expect(row!.flag, variable).toBe(flag);
      expect(variable).toBe(envVarOf(flag));
      expect(new Set(row!.commands), `commands of ${variable}`).toEqual(commands);
    }
  });

  it('names nothing that does not exist', async () => {
    const code = await codeVariables();
    const src = sourceText('src');
    const cloud = sourceText('src/triggers/cloud');
    for (const row of readmeRows()) {
      if (row.flag !== '') {
        expect(code.get(row.variable)?.flag, `${row.variable} is the variable of ${row.flag}`).toBe(row.flag);
      } else {
        // a variable of no flag: read by the code by its name
        expect(src.includes(`'${row.variable}'`), `src reads ${row.variable}`).toBe(true);
      }
      if (row.cloud !== '') {
        // the cloud functions read it: as one of the common flags' variables, or by name
        const common = Object.keys(commonFlagsFromEnv({ [row.variable]: '7' })).length > 0;
        expect(
          common || cloud.includes(`'${row.variable}'`),
          `the cloud functions read ${row.variable}`,
        ).toBe(true);
      }
    }
  });
});
