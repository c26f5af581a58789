// Bundles the command line (src/cli/main.ts and every module it reaches) into
// dist/bundle/, the third step of `npm run build`; bin/switchyard.js loads it.
// One file (plus a chunk per lazily imported part: a command, a storage or
// ledger backend, the YAML config path) instead of a hundred modules resolved,
// read and compiled one by one: start-up is a measured figure (bench/startup.mjs).
//
// - Native and optional dependencies stay external and load only where the
//   code imports them: better-sqlite3, @node-rs/crc32, the cloud SDKs, pg, NATS.
// - `import.meta.url` in a source file is rewritten to the URL that file has
//   in dist/ (dist/<path>.js), so a path computed from it (package.json, the
//   dashboard's script, `createRequire`) finds what it found unbundled. Every
//   output file sits directly in dist/bundle/, one folder below dist/ like
//   dist/cli/, so the rewrite holds for any chunk a module lands in.
// - Bundled CommonJS packages (commander, pino, csv-parse...) `require` Node's
//   modules: the banner gives each output file a `require` of its own.
//
// Written to a temporary folder then renamed over dist/bundle/, so a CLI
// starting meanwhile never loads half a bundle.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
const outdir = path.join(dist, 'bundle');

/** Loaded from node_modules at run time, never bundled: native addons, and SDKs only some configurations use. */
const EXTERNAL = [
  'better-sqlite3',
  '@node-rs/*',
  '@google-cloud/*',
  '@aws-sdk/*',
  '@smithy/*',
  'pg',
  'pg-*',
  '@nats-io/*',
  'yaml',
];

/** `import.meta.url` of a src/ file, as the URL of the file tsc makes of it in dist/. */
const distImportMetaUrl = {
  name: 'dist-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const contents = readFileSync(args.path, 'utf8');
      if (!args.path.startsWith(src + path.sep) || !contents.includes('import.meta.url')) return undefined;
      const compiled = path.join(dist, path.relative(src, args.path)).replace(/\.ts$/, '.js');
      const relative = path.relative(outdir, compiled).split(path.sep).join('/');
      return {
        contents: contents.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(relative)}, import.meta.url).href`,
        ),
        loader: 'ts',
      };
    });
  },
};

/**
 * commander requires node:child_process (which loads net and dgram) when it
 * loads, for subcommands that are executables, which switchyard has none of:
 * it is required on a spawn instead. A commander whose source no longer
 * reads so fails the build rather than keep the cost unnoticed.
 */
const lazyChildProcess = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const eager = "const childProcess = require('node:child_process');";
      const contents = readFileSync(args.path, 'utf8');
      if (!contents.includes(eager)) throw new Error(`${args.path}: expected the line ${eager}`);
      return {
        contents: contents.replace(
          eager,
          "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
        ),
        loader: 'js',
      };
    });
  },
};

const partial = `${outdir}.${process.pid}.partial`;
const { outputFiles } = await build({
  entryPoints: { main: path.join(src, 'cli', 'main.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // the error catalogue names each error after its class (`new.target.name`)
  keepNames: true,
  chunkNames: 'chunk-[hash]',
  banner: {
    js: "import { createRequire as __switchyardRequire } from 'node:module'; const require = __switchyardRequire(import.meta.url);",
  },
  plugins: [distImportMetaUrl, lazyChildProcess],
  legalComments: 'none',
  logLevel: 'warning',
  write: false,
});

rmSync(partial, { recursive: true, force: true });
mkdirSync(partial, { recursive: true });
for (const file of outputFiles) {
  const target = path.join(partial, path.relative(outdir, file.path));
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, file.contents);
}
const previous = `${outdir}.${process.pid}.previous`;
rmSync(previous, { recursive: true, force: true });
try {
  renameSync(outdir, previous);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
try {
  renameSync(partial, outdir);
} catch (error) {
  // another build (tests build on demand, several at once) put its own there first: as fresh as ours
  if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  rmSync(partial, { recursive: true, force: true });
}
rmSync(previous, { recursive: true, force: true });
