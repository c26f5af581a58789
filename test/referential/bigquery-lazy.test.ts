// The BigQuery SDK loads only when a bq:// referential is read: a process
// whose referential is a file (or a bucket object) never loads it (start-up
// time is measured, bench/startup.mjs). Checked in a fresh Node process on
// dist/, through the CommonJS module cache the SDK lands in.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `body` (an ES module) in a new Node process at the repository root; prints whether the SDK is loaded. */
function sdkLoadedAfter(body: string): boolean {
  const script = `
import { createRequire } from 'node:module';
${body}
const cache = createRequire(import.meta.url).cache;
process.stdout.write(String(Object.keys(cache).some((k) => k.includes('@google-cloud/bigquery'))));
`;
  return (
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' }) ===
    'true'
  );
}

describe('bq:// loads @google-cloud/bigquery lazily', () => {
  it('a file referential opened through openReferentialSource leaves it unloaded; importing it loads it', () => {
    ensureBuilt();
    const open = `
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
const { openReferentialSource } = await import('./dist/referential/source.js');
const file = path.join(mkdtempSync(path.join(tmpdir(), 'sy-lazy-')), 'routes.csv');
writeFileSync(file, 'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory\\nland,in,x,out,raw,\\n');
await openReferentialSource({ location: file, projects: {}, storeFor: () => Promise.reject(new Error('none')), pollMs: 0 });
`;
    expect(sdkLoadedAfter(open)).toBe(false);
    expect(sdkLoadedAfter(`${open}\nawait import('@google-cloud/bigquery');`)).toBe(true);
  });
});
