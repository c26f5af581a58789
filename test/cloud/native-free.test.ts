import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { Workspace } from '../helpers/workspace.js';
import { CSV, fixture, TEST_ROUTES } from '../http/harness.js';
import { folderProjectsYaml, TEST_PROJECTS } from './env.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dist = (file: string) => pathToFileURL(path.join(ROOT, 'dist', 'triggers', 'cloud', file)).href;

/**
 * Runs in a fresh Node process: records every native addon it opens
 * (process.dlopen) before importing the three cloud entry points, hands one
 * S3 notification to the Lambda handler and one Cloud Storage CloudEvent to
 * the Cloud Function, then prints the addons opened and the CommonJS modules
 * loaded.
 */
const CHILD = `
import { createRequire } from 'node:module';
const addons = [];
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  addons.push(filename);
  return dlopen.call(this, module, filename, ...rest);
};
const [s3Event, cloudEvent] = JSON.parse(process.argv[1]);
const aws = await import(${JSON.stringify(dist('aws.js'))});
const gcp = await import(${JSON.stringify(dist('gcp.js'))});
await import(${JSON.stringify(dist('gcp-drain.js'))});
const answers = [await aws.handler(s3Event), await gcp.switchyardEvent(cloudEvent)];
await aws.closeAwsRuntime();
await gcp.closeGcpRuntime();
const modules = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({ addons, modules, outcomes: answers.map((a) => a.events.map((e) => e.outcome)) }));
process.exit(0);
`;

interface ChildReport {
  addons: string[];
  modules: string[];
  outcomes: string[][];
}

const SQLITE = /[\\/]better-sqlite3[\\/]/;

describe('cloud entry points without a configured ledger', () => {
  let ws: Workspace;
  let env: Record<string, string>;
  let events: [unknown, unknown];

  beforeAll(async () => {
    ensureBuilt();
    ws = await Workspace.create(TEST_ROUTES);
    await writeFile(path.join(ws.dir, 'switchyard.yaml'), folderProjectsYaml(TEST_PROJECTS));
    env = {
      PATH: process.env.PATH ?? '',
      SWITCHYARD_CONFIG: path.join(ws.dir, 'switchyard.yaml'),
      SWITCHYARD_ROUTES: path.join(ws.dir, 'routes.csv'),
      SWITCHYARD_DATA: ws.data,
      SWITCHYARD_STATE: path.join(ws.dir, '.switchyard'),
      SWITCHYARD_LOG_LEVEL: 'silent',
    };
    events = [await fixture('s3-object-created-seed.json'), await fixture('gcs-cloudevent-structured.json')];
  });
  afterAll(async () => {
    await ws?.remove();
  });

  const run = async (extra: Record<string, string> = {}): Promise<ChildReport> => {
    await ws.put('source_bucket/raw_data/sales by region/sale us+eu.csv', CSV);
    await ws.put('source_bucket/raw_data/emea/q1/finance report 2024.csv', CSV);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', CHILD, JSON.stringify(events)],
      { cwd: ws.dir, env: { ...env, ...extra } },
    );
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ChildReport;
  };

  it('route an event each and never load better-sqlite3 (the ledger is in memory)', async () => {
    const report = await run();
    expect(report.outcomes).toEqual([['routed'], ['routed']]);
    expect(await ws.exists('sales/raw_data/sale us+eu.csv')).toBe(true);
    expect(await ws.exists('finance/raw_data/finance report 2024.csv')).toBe(true);
    expect(report.addons.filter((f) => SQLITE.test(f))).toEqual([]);
    expect(report.modules.filter((f) => SQLITE.test(f))).toEqual([]);
    expect(existsSync(path.join(ws.dir, '.switchyard', 'ledger.db'))).toBe(false);
  });

  it('load it once SWITCHYARD_LEDGER names a SQLite ledger (what the check above would see)', async () => {
    const report = await run({ SWITCHYARD_LEDGER: 'sqlite:' });
    expect(report.outcomes).toEqual([['routed'], ['routed']]);
    expect(report.addons.filter((f) => SQLITE.test(f)).length).toBe(1);
    expect(report.modules.some((f) => SQLITE.test(f))).toBe(true);
    expect(existsSync(path.join(ws.dir, '.switchyard', 'ledger.db'))).toBe(true);
  });
});
