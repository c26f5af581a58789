// The top-level command line: `--version` answers without loading any
// command, `--help` still lists every command.
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { Workspace } from '../helpers/workspace.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
const COMMANDS = [
  'validate',
  'explain',
  'diff',
  'scan',
  'status',
  'demo',
  'serve',
  'batch',
  'enqueue',
  'dead-letters',
  'worker',
];

describe('switchyard (no command)', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  it('--version and -V print the package version and exit 0', async () => {
    ws = await Workspace.create();
    for (const flag of ['--version', '-V']) {
      const run = await ws.run(flag);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
  });

  it('builds no command for --version, every command for --help or no argument', async () => {
    const io = { stdout: process.stdout, stderr: process.stderr, env: {}, cwd: process.cwd() };
    const names = async (...args: string[]) =>
      (await buildProgram(io, () => undefined, ['node', 'switchyard', ...args])).commands.map((c) =>
        c.name(),
      );
    expect(await names('--version')).toEqual([]);
    expect(await names('--help')).toEqual(COMMANDS);
    expect(await names()).toEqual(COMMANDS);
    expect(await names('scan', '--version')).toEqual(['scan']);
  });

  it('--help lists every command', async () => {
    ws = await Workspace.create();
    const run = await ws.run('--help');
    expect(run.code).toBe(0);
    for (const name of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });
});
