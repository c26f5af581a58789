// bin/switchyard.js as users run it: the esbuild bundle (dist/bundle/, made by
// `npm run build` and by ensureBuilt), not tsc's dist/cli/: the named
// command's own file, or the one with every command. Each command here
// reaches code whose paths the bundle must keep working: the package version,
// the native CRC32C and SQLite addons, csv-parse, the dashboard's script, and
// zod and yaml from their bundles (bundle/_vendor-<package>.cjs) when a
// switchyard.yaml is checked.
import { execFile, spawn } from 'node:child_process';
import http from 'node:http';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { SEED_CSV, Workspace } from '../helpers/workspace.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'switchyard.js');
const TRACE = fileURLToPath(new URL('./fixtures/trace-loads.mjs', import.meta.url));
const BUILTINS = fileURLToPath(new URL('./fixtures/builtins-at-exit.cjs', import.meta.url));
const run = promisify(execFile);

type Answer = { code: number; stdout: string; stderr: string };

function cli(cwd: string, ...args: string[]): Promise<Answer> {
  return cliWith({}, cwd, ...args);
}

/** The CLI with `env` beside PATH. */
async function cliWith(env: Record<string, string>, cwd: string, ...args: string[]): Promise<Answer> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', TRACE, BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Node's own modules a run of the CLI loaded (fixtures/builtins-at-exit.cjs), and how it ended. */
async function builtinsLoaded(cwd: string, ...args: string[]): Promise<Answer & { builtins: Set<string> }> {
  let answer: Answer;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--require', BUILTINS, BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '' },
    });
    answer = { code: 0, stdout, stderr };
  } catch (error) {
    answer = error as Answer;
  }
  const builtins = answer.stderr
    .split('\n')
    .filter((line) => line.startsWith('builtin '))
    .map((line) => line.slice('builtin '.length));
  return { ...answer, builtins: new Set(builtins) };
}

/** The files under dist/ the run loaded (fixtures/trace-loads.mjs), relative to dist/. */
function distImports(stderr: string): string[] {
  const dist = path.join(ROOT, 'dist') + path.sep;
  return stderr
    .split('\n')
    .filter((line) => line.startsWith(`loaded ${dist}`))
    .map((line) => line.slice(`loaded ${dist}`.length).split(path.sep).join('/'));
}

describe('the bundled CLI (bin/switchyard.js)', () => {
  let ws: Workspace | undefined;
  beforeAll(ensureBuilt, 300_000);
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  it('loads dist/bundle/ and no module of tsc’s dist/', async () => {
    ws = await Workspace.create();
    const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const answer = await cli(ws.dir, '--version');
    expect(answer.code, answer.stderr).toBe(0);
    expect(answer.stdout.trim()).toBe(version);
    expect(distImports(answer.stderr)).toEqual(['bundle/main.cjs']);
  });

  it('scan copies and verifies a file (CRC32C addon, SQLite ledger created), then finds nothing left to do', async () => {
    ws = await Workspace.create(
      SEED_CSV.replace('finance,raw_data,\n', 'finance,raw_data,,copy\n').replace(
        'destination_directory\n',
        'destination_directory,action\n',
      ),
    );
    await ws.put('source_bucket/raw_data/finance_2024.csv', 'a,b\n1,2\n');
    const first = await cli(ws.dir, 'scan', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(distImports(first.stderr)).toEqual(['bundle/scan.cjs']);
    expect(JSON.parse(first.stdout)).toMatchObject({ routed: 1, failed: 0 });
    expect((await ws.read('finance/raw_data/finance_2024.csv')).toString()).toBe('a,b\n1,2\n');
    expect(await ws.exists('source_bucket/raw_data/finance_2024.csv')).toBe(true);
    const again = await cli(ws.dir, 'scan', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ routed: 0, skipped: 1, failed: 0 });
    expect(distImports(again.stderr).filter((file) => !file.startsWith('bundle/'))).toEqual([]);
  });

  it('a scan with nothing to route loads neither node:crypto, node:stream nor node:fs/promises; one that copies a file loads node:crypto', async () => {
    ws = await Workspace.create(SEED_CSV);
    const heavy = ['crypto', 'stream', 'fs/promises', 'internal/readline/interface'];
    // twice: the first run writes the code cache, the second reads it
    for (let i = 0; i < 2; i++) {
      const idle = await builtinsLoaded(ws.dir, 'scan', '--json');
      expect(idle.code, idle.stderr).toBe(0);
      expect(JSON.parse(idle.stdout)).toMatchObject({ listed: 0, routed: 0 });
      expect(idle.builtins.has('fs')).toBe(true);
      expect(heavy.filter((name) => idle.builtins.has(name))).toEqual([]);
    }
    await ws.put('source_bucket/raw_data/finance_2024.csv', 'a,b\n1,2\n');
    const working = await builtinsLoaded(ws.dir, 'scan', '--json');
    expect(working.code, working.stderr).toBe(0);
    expect(JSON.parse(working.stdout)).toMatchObject({ routed: 1, failed: 0 });
    // a delivery's id is a SHA-256: node:crypto comes with the first file routed
    expect(working.builtins.has('crypto')).toBe(true);
  });

  it('with a switchyard.yaml, zod and yaml come from their bundles, not node_modules', async () => {
    ws = await Workspace.create(SEED_CSV);
    await writeFile(
      path.join(ws.dir, 'switchyard.yaml'),
      'projects:\n  source_bucket: { backend: fs }\n  finance: { backend: fs }\n  sales: { backend: fs }\n',
    );
    await ws.put('source_bucket/raw_data/sale_1.csv', 'x\n');
    const answer = await cli(ws.dir, 'scan', '--json');
    expect(answer.code, answer.stderr).toBe(0);
    expect(JSON.parse(answer.stdout)).toMatchObject({ routed: 1, failed: 0 });
    expect(distImports(answer.stderr)).toEqual([
      'bundle/scan.cjs',
      'bundle/_vendor-yaml.cjs',
      'bundle/_vendor-zod.cjs',
    ]);
    const fromModules = answer.stderr
      .split('\n')
      .filter((line) => /[\\/]node_modules[\\/](zod|yaml)[\\/]/.test(line));
    expect(fromModules).toEqual([]);
    // a project switchyard.yaml does not declare is still refused: its schema ran
    await writeFile(
      path.join(ws.dir, 'switchyard.yaml'),
      'projects:\n  source_bucket: { backend: floppy }\n',
    );
    const refused = await cli(ws.dir, 'scan', '--json');
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'E_CONFIG_INVALID' } });
    expect(refused.stdout).toContain('expected one of fs, memory, gcs, s3, got \\"floppy\\"');
  });

  it('a switchyard.yaml this build checked is not checked again (neither yaml nor zod loaded); an edited one is, and a mistake is reported at every run', async () => {
    ws = await Workspace.create(SEED_CSV);
    const env = { XDG_CACHE_HOME: path.join(ws.dir, 'cache') };
    const valid =
      'projects:\n  source_bucket: { backend: fs }\n  finance: { backend: fs }\n  sales: { backend: fs }\n';
    const scan = async (file: string) => {
      await ws!.put(`source_bucket/raw_data/${file}`, 'x\n');
      return cliWith(env, ws!.dir, 'scan', '--json');
    };
    await writeFile(path.join(ws.dir, 'switchyard.yaml'), valid);
    const checked = await scan('sale_1.csv');
    expect(JSON.parse(checked.stdout)).toMatchObject({ routed: 1, failed: 0 });
    expect(distImports(checked.stderr)).toEqual([
      'bundle/scan.cjs',
      'bundle/_vendor-yaml.cjs',
      'bundle/_vendor-zod.cjs',
    ]);
    const memo = path.join(ws.dir, 'cache', 'switchyard', 'config');
    const kept = await readdir(memo);
    expect(kept).toHaveLength(1);
    expect((await stat(path.join(memo, kept[0]!))).mode & 0o777).toBe(0o600);

    const remembered = await scan('sale_2.csv');
    expect(JSON.parse(remembered.stdout)).toMatchObject({ routed: 1, failed: 0 });
    expect(distImports(remembered.stderr)).toEqual(['bundle/scan.cjs']);

    await writeFile(
      path.join(ws.dir, 'switchyard.yaml'),
      'projects:\n  source_bucket: { backend: floppy }\n',
    );
    for (const file of ['sale_3.csv', 'sale_4.csv']) {
      const refused = await scan(file);
      expect(refused.code).toBe(2);
      expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'E_CONFIG_INVALID' } });
      expect(distImports(refused.stderr)).toContain('bundle/_vendor-zod.cjs');
    }
    expect(await ws.exists('sales/raw_data/sale_3.csv')).toBe(false);

    // the sales project no longer declared: the edited file is checked, and its projects are the ones used
    await writeFile(
      path.join(ws.dir, 'switchyard.yaml'),
      'projects:\n  source_bucket: { backend: fs }\n  finance: { backend: fs }\n',
    );
    const narrowed = await scan('sale_5.csv');
    expect(narrowed.code).toBe(1);
    expect(JSON.parse(narrowed.stdout)).toMatchObject({ error: { code: 'E_REFERENTIAL_INVALID' } });
    expect(narrowed.stdout).toContain('project \\"sales\\" is not declared');
    expect(await ws.exists('sales/raw_data/sale_5.csv')).toBe(false);

    await writeFile(path.join(ws.dir, 'switchyard.yaml'), valid);
    const again = await scan('sale_6.csv');
    expect(JSON.parse(again.stdout)).toMatchObject({ failed: 0 });
    expect(await ws.exists('sales/raw_data/sale_6.csv')).toBe(true);
  });

  it('a YAML referential is read with yaml from its bundle too', async () => {
    const routes = [
      '- source_project: source_bucket',
      '  source_bucket: raw_data',
      "  source_file_mask: '^sale'",
      '  destination_project: sales',
      '  destination_bucket: raw_data',
      "  destination_directory: ''",
      '',
    ].join('\n');
    ws = await Workspace.create(routes, 'routes.yaml');
    await ws.put('source_bucket/raw_data/sale_1.csv', 'x\n');
    const answer = await cli(ws.dir, 'scan', '--json', '--routes', 'routes.yaml');
    expect(answer.code, answer.stderr).toBe(0);
    expect(JSON.parse(answer.stdout)).toMatchObject({ routed: 1, failed: 0 });
    expect(await ws.exists('sales/raw_data/sale_1.csv')).toBe(true);
    expect(distImports(answer.stderr)).toEqual(['bundle/scan.cjs', 'bundle/_vendor-yaml.cjs']);
    expect(answer.stderr.split('\n').filter((line) => /[\\/]node_modules[\\/]yaml[\\/]/.test(line))).toEqual(
      [],
    );
  });

  it('a csv-to-parquet row writes Parquet with hyparquet-writer from its bundle, loaded only then', async () => {
    ws = await Workspace.create(
      'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,transform\n' +
        'source_bucket,raw_data,^orders.*\\.csv$,lake,tables,,copy,orders,csv-to-parquet\n',
    );
    await ws.put('source_bucket/raw_data/orders.csv', 'id,name\n1,ada\n2,grace\n');
    const answer = await cli(ws.dir, 'scan', '--json');
    expect(answer.code, answer.stderr).toBe(0);
    expect(JSON.parse(answer.stdout)).toMatchObject({ routed: 1, failed: 0 });
    const parquet = await ws.read('lake/tables/orders.parquet');
    expect(parquet.subarray(0, 4).toString()).toBe('PAR1');
    expect(parquet.subarray(-4).toString()).toBe('PAR1');
    expect(distImports(answer.stderr)).toEqual(['bundle/scan.cjs', 'bundle/_vendor-hyparquet-writer.cjs']);
    expect(answer.stderr.split('\n').filter((line) => /[\\/]node_modules[\\/]hyparquet/.test(line))).toEqual(
      [],
    );

    await ws.put('source_bucket/raw_data/notes.txt', 'not a table\n');
    const plain = await cli(ws.dir, 'scan', '--json');
    expect(plain.code, plain.stderr).toBe(0);
    expect(distImports(plain.stderr)).toEqual(['bundle/scan.cjs']);
  });

  it('an S3 project signs its requests with its own SigV4 signer: no @smithy module is loaded', async () => {
    ws = await Workspace.create(SEED_CSV);
    // a server that refuses every request: the listing is signed, sent and refused, and the scan reports it
    const authorizations: string[] = [];
    const server = http.createServer((req, res) => {
      authorizations.push(req.headers.authorization ?? '');
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>no</Message></Error>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await writeFile(
      path.join(ws.dir, 'switchyard.yaml'),
      [
        'projects:',
        '  source_bucket:',
        '    backend: s3',
        `    endpoint: "${endpoint}"`,
        '    region: us-east-1',
        '    forcePathStyle: true',
        '    accessKeyIdEnv: BUNDLE_TEST_KEY',
        '    secretAccessKeyEnv: BUNDLE_TEST_SECRET',
        '  finance: { backend: fs }',
        '  sales: { backend: fs }',
        '',
      ].join('\n'),
    );
    const keys = { BUNDLE_TEST_KEY: 'key', BUNDLE_TEST_SECRET: 'secret' };
    const answer = await cliWith(keys, ws.dir, 'scan', '--json', '--log-level', 'error').finally(
      () => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    expect(answer.stdout, answer.stderr).toContain('AccessDenied');
    expect(authorizations[0]).toMatch(
      /^AWS4-HMAC-SHA256 Credential=key\/\d{8}\/us-east-1\/s3\/aws4_request, /,
    );
    expect(distImports(answer.stderr)).toEqual([
      'bundle/scan.cjs',
      'bundle/_vendor-yaml.cjs',
      'bundle/_vendor-zod.cjs',
    ]);
    expect(answer.stderr.split('\n').filter((line) => /@smithy/.test(line))).toEqual([]);
  });

  it('a reader that leaves early (`scan --json | head`) misses the rest of the report; the run goes on: every file routed, exit 0, no EPIPE', async () => {
    ws = await Workspace.create();
    const files = Array.from({ length: 600 }, (_, i) => `finance_${String(i).padStart(4, '0')}.csv`);
    for (const name of files) await ws.put(`source_bucket/raw_data/${name}`, `${name}\n`);
    const child = spawn(process.execPath, [BIN, 'scan', '--json'], {
      cwd: ws.dir,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // the reader takes the first bytes of the report (some 100 KiB, more than a pipe holds), then leaves
    child.stdout.once('data', () => child.stdout.destroy());
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code, stderr).toBe(0);
    expect((await ws.files()).filter((f) => f.startsWith('finance/raw_data/'))).toHaveLength(files.length);
  });

  it('validate reads a referential with quotes (csv-parse) and reports a bad mask by line', async () => {
    ws = await Workspace.create(`${SEED_CSV}"source_bucket","raw_data","bad(","sales","raw_data",""\n`);
    const answer = await cli(ws.dir, 'validate', '--json');
    expect(answer.code).toBe(1);
    expect(answer.stdout).toContain('"line": 4');
  });
});
