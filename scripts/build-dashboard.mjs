// Bundles the dashboard's browser code (src/triggers/http/dashboard/client/, TypeScript
// checked by its own tsconfig) into one IIFE at dist/triggers/http/dashboard/dashboard.js,
// which the server reads and serves as /assets/dashboard.js. The second step of
// `npm run build`: esbuild is a dev dependency, so the bundle is made here and
// ships in dist/, never made at run time. Written to a temporary file then
// renamed, so a server (or a test) reading it never sees half a script.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const client = path.join(root, 'src/triggers/http/dashboard/client');

const { outputFiles } = await build({
  entryPoints: [path.join(client, 'main.ts')],
  outfile: path.join(root, 'dist/triggers/http/dashboard/dashboard.js'),
  tsconfig: path.join(client, 'tsconfig.json'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  charset: 'utf8',
  legalComments: 'none',
  logLevel: 'warning',
  write: false,
});
for (const file of outputFiles) {
  mkdirSync(path.dirname(file.path), { recursive: true });
  const partial = `${file.path}.${process.pid}.partial`;
  writeFileSync(partial, file.contents);
  renameSync(partial, file.path);
}
