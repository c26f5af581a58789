import { execFileSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The newest modification time of a file, or of the files under a folder. */
function newestMtime(file: string): number {
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(file)) newest = Math.max(newest, newestMtime(path.join(file, entry)));
  return newest;
}

/** True when `file` exists and is at least as new as everything under `sources`. */
function fresh(file: string, ...sources: string[]): boolean {
  if (!existsSync(file)) return false;
  const built = statSync(file).mtimeMs;
  return sources.every((source) => built >= newestMtime(source));
}

/**
 * Tests that spawn the CLI or child scripts run the compiled dist/. `npm test`
 * builds first; this rebuilds when src/ is newer (a test run on its own).
 */
export function ensureBuilt(): void {
  ensureDashboardBundle();
  if (!fresh(path.join(ROOT, 'dist', 'cli', 'main.js'), path.join(ROOT, 'src'))) {
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'inherit',
      },
    );
  }
  ensureCliBundle();
}

/**
 * The bundle bin/switchyard.js loads (dist/bundle/, the last step of `npm run
 * build`), made again when src/ or its script is newer, so tests that spawn
 * the CLI run what users run.
 */
function ensureCliBundle(): void {
  const script = path.join(ROOT, 'scripts', 'build-cli.mjs');
  if (fresh(path.join(ROOT, 'dist', 'bundle', 'main.cjs'), path.join(ROOT, 'src'), script)) return;
  execFileSync(process.execPath, [script], { cwd: ROOT, stdio: 'inherit' });
}

const DASHBOARD_SOURCES = [
  path.join(ROOT, 'src', 'triggers', 'http', 'dashboard', 'client'),
  path.join(ROOT, 'src', 'triggers', 'http', 'dashboard', 'api-types.ts'),
  path.join(ROOT, 'scripts', 'build-dashboard.mjs'),
];

/**
 * The dashboard's browser script, which the server reads from
 * dist/triggers/http/dashboard/dashboard.js even when tests run src/: bundled again
 * (the second step of `npm run build`, well under a second) when its sources
 * are newer.
 */
export function ensureDashboardBundle(): void {
  if (fresh(path.join(ROOT, 'dist', 'triggers', 'http', 'dashboard', 'dashboard.js'), ...DASHBOARD_SOURCES))
    return;
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-dashboard.mjs')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}
