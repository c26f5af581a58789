// bin/switchyard.js's V8 code cache: written per user under
// $XDG_CACHE_HOME/switchyard/v8 after a run that found none, used (not
// rewritten) by the next run, replaced when V8 refuses it, and never a reason
// for a run to fail; each vendor bundle (zod, yaml) keeps one of its own.
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { SEED_CSV, Workspace } from '../helpers/workspace.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'switchyard.js');
const run = promisify(execFile);

async function cli(
  cwd: string,
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the code cache of bin/switchyard.js', () => {
  let ws: Workspace | undefined;
  beforeAll(ensureBuilt, 300_000);
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  /** A workspace and its cache folder (XDG_CACHE_HOME), and the v8 folder the bin keeps its files in. */
  async function setUp(): Promise<{ dir: string; env: Record<string, string>; v8: string }> {
    ws = await Workspace.create(SEED_CSV);
    const cache = path.join(ws.dir, 'cache');
    return { dir: ws.dir, env: { XDG_CACHE_HOME: cache }, v8: path.join(cache, 'switchyard', 'v8') };
  }

  async function scanOk(dir: string, env: Record<string, string>): Promise<void> {
    const answer = await cli(dir, env, 'scan', '--json');
    expect(answer.code, answer.stderr).toBe(0);
    expect(answer.stderr).toBe('');
    expect(JSON.parse(answer.stdout)).toMatchObject({ failed: 0 });
  }

  it('writes the scan bundle’s cache on a first run and uses it, unchanged, on the next', async () => {
    const { dir, env, v8 } = await setUp();
    await scanOk(dir, env);
    const files = await readdir(v8);
    expect(files).toHaveLength(1);
    const [file] = files as [string];
    expect(file).toMatch(/^scan\.[0-9a-f]{16}\..+\.cache$/);
    expect((await stat(v8)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(v8, file))).mode & 0o777).toBe(0o600);
    const written = await readFile(path.join(v8, file));
    const { mtimeMs } = await stat(path.join(v8, file));
    await scanOk(dir, env);
    expect(await readdir(v8)).toEqual([file]);
    expect((await stat(path.join(v8, file))).mtimeMs).toBe(mtimeMs);
    expect(await readFile(path.join(v8, file))).toEqual(written);
  });

  it('a run that checks a switchyard.yaml writes the caches of the yaml and zod bundles too, and the next check uses them', async () => {
    const { dir, env, v8 } = await setUp();
    await scanOk(dir, env);
    expect((await readdir(v8)).map((f) => f.split('.')[0])).toEqual(['scan']);
    const yaml =
      'projects:\n  source_bucket: { backend: fs }\n  finance: { backend: fs }\n  sales: { backend: fs }\n';
    await writeFile(path.join(dir, 'switchyard.yaml'), yaml);
    await scanOk(dir, env);
    const files = (await readdir(v8)).sort();
    expect(files.map((f) => f.split('.')[0])).toEqual(['_vendor-yaml', '_vendor-zod', 'scan']);
    const written = await Promise.all(files.map(async (f) => (await stat(path.join(v8, f))).mtimeMs));
    // a text this build has not checked (the one it checked is remembered: config/memo.ts) is checked again, with both caches
    await writeFile(path.join(dir, 'switchyard.yaml'), `# edited\n${yaml}`);
    await scanOk(dir, env);
    expect((await readdir(v8)).sort()).toEqual(files);
    expect(await Promise.all(files.map(async (f) => (await stat(path.join(v8, f))).mtimeMs))).toEqual(
      written,
    );
  });

  it('replaces a cache V8 refuses (corrupt) and still runs', async () => {
    const { dir, env, v8 } = await setUp();
    await scanOk(dir, env);
    const [file] = (await readdir(v8)) as [string];
    const garbage = Buffer.from('not a V8 code cache');
    await writeFile(path.join(v8, file), garbage);
    await scanOk(dir, env);
    const replaced = await readFile(path.join(v8, file));
    expect(replaced.length).toBeGreaterThan(garbage.length);
  });

  it('drops the cache of an older build of the same bundle when it writes one', async () => {
    const { dir, env, v8 } = await setUp();
    await scanOk(dir, env);
    const [file] = (await readdir(v8)) as [string];
    const older = file.replace(/^scan\.[0-9a-f]{16}\./, 'scan.0000000000000000.');
    const otherBundle = file.replace(/^scan\./, 'validate.');
    await writeFile(path.join(v8, older), 'an older build’s cache');
    await writeFile(path.join(v8, otherBundle), 'another command’s cache');
    await writeFile(path.join(v8, file), 'refused');
    await scanOk(dir, env);
    expect((await readdir(v8)).sort()).toEqual([file, otherBundle].sort());
  });

  it('runs without one when its folder cannot be made, and writes none when NODE_DISABLE_COMPILE_CACHE is set', async () => {
    const { dir, env, v8 } = await setUp();
    // a file where the cache folder would be: mkdir fails, even for root
    await writeFile(env.XDG_CACHE_HOME as string, 'not a folder');
    await scanOk(dir, env);
    await scanOk(dir, env);

    const elsewhere = path.join(dir, 'other-cache');
    await mkdir(elsewhere);
    await scanOk(dir, { XDG_CACHE_HOME: elsewhere, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(await readdir(elsewhere)).toEqual([]);
    expect(v8).toContain(env.XDG_CACHE_HOME);
  });

  it('keys the cache by Node’s options: another option set gets a file of its own', async () => {
    const { dir, env, v8 } = await setUp();
    await scanOk(dir, env);
    await scanOk(dir, { ...env, NODE_OPTIONS: '--max-old-space-size=512' });
    const files = await readdir(v8);
    expect(files).toHaveLength(2);
    expect(new Set(files.map((f) => f.split('.').slice(0, 2).join('.'))).size).toBe(1);
  });

  it('keys the cache by the bundle’s path: a second install of the same build keeps a cache of its own', async () => {
    const { dir, env, v8 } = await setUp();
    await scanOk(dir, env);
    // the command line copied elsewhere: package.json, bin/ and dist/bundle/, the packages where Node finds them
    const install = path.join(dir, 'install');
    await mkdir(install);
    await cp(path.join(ROOT, 'package.json'), path.join(install, 'package.json'));
    await cp(path.join(ROOT, 'bin'), path.join(install, 'bin'), { recursive: true });
    await cp(path.join(ROOT, 'dist', 'bundle'), path.join(install, 'dist', 'bundle'), { recursive: true });
    await symlink(path.join(ROOT, 'node_modules'), path.join(install, 'node_modules'));
    const copy = await run(process.execPath, [path.join(install, 'bin', 'switchyard.js'), 'scan', '--json'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    expect(JSON.parse(copy.stdout)).toMatchObject({ failed: 0 });
    // same bundle, same hash, two files: V8 names a cached function's file as the run that
    // made the cache did, so a shared one would have the copy's stack traces cite the first install
    const files = (await readdir(v8)).filter((f) => f.startsWith('scan.'));
    expect(files).toHaveLength(2);
    expect(new Set(files.map((f) => f.split('.').slice(0, 2).join('.'))).size).toBe(1);
    await scanOk(dir, env);
    expect((await readdir(v8)).filter((f) => f.startsWith('scan.')).sort()).toEqual(files.sort());
  });
});
