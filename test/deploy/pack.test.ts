import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { consumerLock, type Lock, type PackedPackage } from './pack-lock.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackedPackage & {
  exports: Record<string, { types: string; default: string }>;
  main: string;
  types: string;
  allowScripts?: Record<string, boolean>;
};

/** The environment of a child npm: the parent `npm test`'s per-run variables left out. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|config_local_prefix$|config_prefix$|command$)/.test(name)) continue;
    env[name] = value;
  }
  return env;
}

// Installing compiles better-sqlite3 from source (no prebuilt binary offline): minutes on a busy machine.
const INSTALL_TIMEOUT_MS = 15 * 60_000;

describe('the npm package', () => {
  let dir: string;
  let tarball: string;
  let files: string[];

  beforeAll(async () => {
    ensureBuilt();
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-pack-'));
    await mkdir(path.join(dir, 'out'));
    // --ignore-scripts: `prepare` would build again; ensureBuilt just did.
    const { stdout } = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', path.join(dir, 'out')],
      { cwd: ROOT, env: npmEnv(), maxBuffer: 64 * 1024 * 1024 },
    );
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(dir, 'out', packed!.filename);
    files = packed!.files.map((f) => f.path);
  }, 120_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('holds only what runs: dist/ without source maps, bin/, LICENSE, README.md and package.json', () => {
    const outside = files.filter(
      (f) => !/^(dist|bin)\//.test(f) && !['LICENSE', 'README.md', 'package.json'].includes(f),
    );
    expect(outside).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files).toContain('LICENSE');
    const needed = [
      pkg.main,
      pkg.types,
      ...Object.values(pkg.bin ?? {}),
      ...Object.values(pkg.exports).flatMap((e) => [e.types, e.default]),
      'dist/triggers/http/dashboard/dashboard.js',
    ].map((f) => f.replace(/^\.\//, ''));
    expect(needed.filter((f) => !files.includes(f))).toEqual([]);
  });

  it(
    'installs from the tarball into an empty folder (offline, from the npm cache) and runs `npx switchyard demo` there',
    async () => {
      const app = path.join(dir, 'app');
      await mkdir(app);
      const repoLock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as Lock;
      const relative = path.relative(app, tarball);
      await writeFile(
        path.join(app, 'package.json'),
        JSON.stringify({
          name: 'switchyard-pack-test',
          private: true,
          dependencies: { [pkg.name]: `file:${relative}` },
          ...(pkg.allowScripts ? { allowScripts: pkg.allowScripts } : {}),
        }),
      );
      await writeFile(
        path.join(app, 'package-lock.json'),
        JSON.stringify(consumerLock(repoLock, pkg, relative, 'switchyard-pack-test')),
      );
      await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
        cwd: app,
        env: npmEnv(),
        maxBuffer: 64 * 1024 * 1024,
      });
      const installed = path.join(app, 'node_modules', pkg.name);
      expect((await readdir(installed)).sort()).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'package.json']);

      const demo = path.join(dir, 'demo');
      const { stdout } = await run('npx', ['--offline', 'switchyard', 'demo', '--dir', demo], {
        cwd: app,
        env: npmEnv(),
      });
      expect(stdout).toMatch(/routed [1-9]\d*, unrouted \d+, failed 0 \(dead 0\)/);
      expect(existsSync(path.join(demo, 'data', 'finance', 'raw_data', 'finance_2024-01.csv'))).toBe(true);
      expect(existsSync(path.join(demo, 'data', 'source_bucket', 'raw_data', 'finance_2024-01.csv'))).toBe(false);
    },
    INSTALL_TIMEOUT_MS,
  );
});
