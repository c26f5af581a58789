// Configuration flags from the environment (SWITCHYARD_<FLAG>): flag >
// environment > switchyard.yaml > default, and an invalid value names its variable.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processIo, positiveInt } from '../../src/cli/common.js';
import { applyEnv, CONFIG_FLAGS, declareEnv, NOT_FROM_ENV } from '../../src/cli/env-options.js';
import { buildProgram } from '../../src/cli/main.js';
import { commonFlagsFromEnv, envVarOf } from '../../src/config/env.js';
import { cloudFlags } from '../../src/triggers/cloud/handler.js';
import { gcpDrainOptionsFromEnv } from '../../src/triggers/cloud/gcp-drain.js';
import { Workspace } from '../helpers/workspace.js';

describe('configuration from the environment', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  it('names a flag SWITCHYARD_ and its long name in capitals', () => {
    expect(envVarOf('--data')).toBe('SWITCHYARD_DATA');
    expect(envVarOf('--routes-poll')).toBe('SWITCHYARD_ROUTES_POLL');
    expect(envVarOf('--log-level')).toBe('SWITCHYARD_LOG_LEVEL');
  });

  /** A referential sending finance files to project `to`. */
  const routesTo = (to: string) =>
    `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory\nsource_bucket,raw_data,^finance_,${to},raw_data,\n`;
  const destinationOf = async (...args: string[]) => {
    const run = await ws!.run('explain', 'source_bucket/raw_data/finance_1.csv', '--json', ...args);
    expect(run.code, run.stderr).toBe(0);
    return run.json<{ matches: Array<{ destination: string }> }>().matches.map((m) => m.destination);
  };

  it('SWITCHYARD_DATA and SWITCHYARD_ROUTES stand for --data and --routes', async () => {
    ws = await Workspace.create();
    await writeFile(path.join(ws.dir, 'other.csv'), routesTo('archive'));
    await mkdir(path.join(ws.dir, 'elsewhere', 'source_bucket', 'raw_data'), { recursive: true });
    await writeFile(path.join(ws.dir, 'elsewhere', 'source_bucket', 'raw_data', 'finance_2.csv'), '2\n');
    await ws.put('source_bucket/raw_data/finance_1.csv', '1\n');
    ws.env = { SWITCHYARD_DATA: path.join(ws.dir, 'elsewhere'), SWITCHYARD_ROUTES: 'other.csv' };
    const run = await ws.run('scan', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ routed: 1 });
    // the environment's data root was scanned (./data untouched), by the environment's referential
    expect(await ws.files()).toEqual(['source_bucket/raw_data/finance_1.csv']);
    const moved = path.join(ws.dir, 'elsewhere', 'archive', 'raw_data', 'finance_2.csv');
    expect(existsSync(moved)).toBe(true);
  });

  it('a flag wins over the environment, the environment over switchyard.yaml, that over the default', async () => {
    ws = await Workspace.create(routesTo('from_default'));
    for (const name of ['yaml', 'env', 'flag'])
      await writeFile(path.join(ws.dir, `${name}.csv`), routesTo(`from_${name}`));
    expect(await destinationOf()).toEqual(['from_default/raw_data/finance_1.csv']);
    await writeFile(path.join(ws.dir, 'switchyard.yaml'), 'routes: yaml.csv\n');
    expect(await destinationOf()).toEqual(['from_yaml/raw_data/finance_1.csv']);
    ws.env = { SWITCHYARD_ROUTES: 'env.csv' };
    expect(await destinationOf()).toEqual(['from_env/raw_data/finance_1.csv']);
    expect(await destinationOf('--routes', 'flag.csv')).toEqual(['from_flag/raw_data/finance_1.csv']);
  });

  it('an invalid value is an error naming the variable (exit 2)', async () => {
    ws = await Workspace.create();
    ws.env = { SWITCHYARD_CONCURRENCY: 'lots' };
    const run = await ws.run('scan');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `option '--concurrency <n>' value 'lots' from env 'SWITCHYARD_CONCURRENCY' is invalid. expected a positive integer, got "lots"`,
    );
    ws.env = { SWITCHYARD_ROUTES_POLL: 'often' };
    expect((await ws.run('scan')).stderr).toContain("from env 'SWITCHYARD_ROUTES_POLL' is invalid");
  });

  it('SWITCHYARD_LOG_LEVEL sets the log level; action flags never come from the environment', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const command = new Command('job')
      .option('--log-level <level>', 'level', 'warn')
      .option('--max-batch <n>', 'messages', positiveInt, 100)
      .option('--dry-run', 'plan only')
      .option('--json', 'JSON')
      .exitOverride()
      .action((options: Record<string, unknown>) => void seen.push(options));
    const program = new Command('p').addCommand(command).exitOverride();
    declareEnv(program);
    const env = {
      SWITCHYARD_LOG_LEVEL: 'debug',
      SWITCHYARD_MAX_BATCH: '7',
      SWITCHYARD_DRY_RUN: '1',
      SWITCHYARD_JSON: '1',
    };
    program.hook('preAction', (_p, actionCommand) => applyEnv(actionCommand, env));
    await program.parseAsync(['node', 'p', 'job']);
    expect(seen.pop()).toEqual({ logLevel: 'debug', maxBatch: 7 });
    expect(command.getOptionValueSource('logLevel')).toBe('env');
    await program.parseAsync(['node', 'p', 'job', '--max-batch', '3']);
    expect(seen.pop()).toEqual({ logLevel: 'debug', maxBatch: 3 });
  });

  it('every flag is either configuration (from the environment) or of one run (never)', async () => {
    const program = await buildProgram(processIo(), () => {});
    const walk = (command: Command): string[] => [
      ...command.options.map((o) => o.long ?? o.flags),
      ...command.commands.flatMap(walk),
    ];
    for (const flag of new Set(walk(program)))
      expect(CONFIG_FLAGS.has(flag) !== NOT_FROM_ENV.has(flag), `${flag} is classified once`).toBe(true);
  });

  it('--help names each configuration flag its variable', async () => {
    ws = await Workspace.create();
    const help = await ws.run('batch', '--help');
    expect(help.stdout).toMatch(/--max-batch <n>[\s\S]*env:\s+SWITCHYARD_MAX_BATCH/);
    expect(help.stdout).not.toContain('SWITCHYARD_DRY_RUN');
  });

  it('the cloud entry points read the same names, with the same errors', async () => {
    expect(
      commonFlagsFromEnv({ SWITCHYARD_DATA: '/d', SWITCHYARD_CONCURRENCY: '4', SWITCHYARD_ROUTES: '' }),
    ).toEqual({
      data: '/d',
      concurrency: 4,
    });
    expect(cloudFlags({ SWITCHYARD_STATE: '/s', SWITCHYARD_ROUTES_POLL: '5m' })).toMatchObject({
      state: '/s',
      routesPoll: 300_000,
    });
    expect(() => cloudFlags({ SWITCHYARD_CONCURRENCY: '0' })).toThrow(
      'SWITCHYARD_CONCURRENCY: expected a positive integer, got "0"',
    );
    await expect(
      gcpDrainOptionsFromEnv({ SWITCHYARD_QUEUE: 'memory:', SWITCHYARD_TIME_BUDGET: 'soon' }),
    ).rejects.toThrow('SWITCHYARD_TIME_BUDGET: expected a duration like 30s, 5m or 1500ms, got "soon"');
  });
});
