// Bundles the command line (src/cli/main.ts and every module it reaches) into
// dist/bundle/, the third step of `npm run build`; bin/switchyard.js loads it.
// One CommonJS file per command (dist/bundle/<command>.cjs: the program with
// that command alone, what a run naming it needs) and one with every command
// (dist/bundle/main.cjs: help, `--version`, a typo), instead of a hundred
// modules resolved, read and compiled one by one: start-up is a measured
// figure (bench/startup.mjs). CommonJS because bin/switchyard.js compiles a
// bundle with V8's code cache (vm.Script `cachedData`), which Node 20 offers
// for a script, not for an ES module; and one file per command because a
// CommonJS bundle has no chunks to leave unloaded.
//
// - Native and optional dependencies stay external and load only where the
//   code requires them: better-sqlite3, @node-rs/crc32, the cloud SDKs, pg,
//   NATS, YAML, and zod (850 KB that only a YAML configuration's check runs,
//   which would otherwise sit in every file). A dynamic `import()` of one
//   becomes a `require` (all of them are CommonJS packages), so a bundle
//   compiled outside Node's module loader needs no import callback.
// - `import.meta.url` in a source file is rewritten to the URL that file has
//   in dist/ (dist/<path>.js), computed from the bundle's own `__filename`,
//   so a path computed from it (package.json, the dashboard's script,
//   `createRequire`) finds what it found unbundled. Every output file sits
//   directly in dist/bundle/, one folder below dist/ like dist/cli/.
// - Minified (whitespace and syntax; identifiers kept, so stack traces name
//   our functions): less for V8 to read and pre-parse. Without esbuild's
//   `keepNames`, whose `__name` call per function and class cost every
//   start-up some 3–5 ms: a name is then the source's unless esbuild renamed
//   the symbol for a clash between modules (`Database2`), and the error
//   catalogue names each error after its class (`new.target.name`), so one
//   of src/'s error classes renamed fails the build (`renamedErrorClasses`).
// - The first line of each file names it by the hash of its contents
//   (`// switchyard-bundle <hash>`): bin/switchyard.js keys its code cache by
//   it, since V8 checks only a source's length against a cache.
//
// Written to a temporary folder then renamed over dist/bundle/, so a CLI
// starting meanwhile never loads half a bundle.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
const outdir = path.join(dist, 'bundle');

/**
 * Packages only some runs need: zod and yaml, which check a switchyard.yaml
 * (and read a YAML referential) the first time this build meets it (a
 * configuration checked once is remembered: src/config/memo.ts), and
 * hyparquet-writer (95 KB), which only a csv-to-parquet row needs. Each is
 * bundled into a file of its own, dist/bundle/_vendor-<package>.cjs (a `/`
 * as `+`), which
 * bin/switchyard.js loads with its own code cache the first time a command
 * bundle requires the package: a run reads the code of none it does not
 * require, and compiles none of what it does (Node 20's CommonJS loader has
 * no compile cache: zod alone cost ~40 ms of compiling at every start).
 * bin/vendored.json names them for both.
 */
const VENDORED = JSON.parse(readFileSync(path.join(root, 'bin', 'vendored.json'), 'utf8'));
/** The file of a VENDORED package's bundle (not a command: bin picks no `_` file by name). */
const vendorFile = (id) => `_vendor-${id.replaceAll('/', '+')}.cjs`;

/** Loaded from node_modules at run time, never bundled: native addons, and SDKs only some configurations use. */
const EXTERNAL = [
  // better-sqlite3's addon (the .node file) is loaded by path at run time (util/sqlite.ts hands it over)
  '*.node',
  '@node-rs/*',
  '@google-cloud/*',
  '@aws-sdk/*',
  '@smithy/*',
  'pg',
  'pg-*',
  '@nats-io/*',
  // bundled apart, each in its _vendor-<package>.cjs (below)
  ...VENDORED,
];

/**
 * Packages src/ requires at first use through createRequire (`requireCjs`),
 * each made a plain `require` in the bundle, by the file that holds it (a
 * file no longer reading so fails the build rather than go unnoticed):
 * - better-sqlite3 (an ES module importing it would start Node's CommonJS
 *   export scanner): its JavaScript is bundled and compiled with the code
 *   cache instead of a dozen files compiled at every start; its addon is
 *   still loaded from node_modules, by the path util/sqlite.ts gives;
 * - yaml, for a YAML or JSON referential: it comes from _vendor-yaml.cjs, as the
 *   configuration's does, not compiled from node_modules.
 */
const PLAIN_REQUIRES = new Map([
  ["requireCjs('better-sqlite3')", 'src/util/sqlite.ts'],
  ["requireCjs('yaml')", 'src/referential/load.ts'],
]);
const plainRequiresFound = new Set();

/**
 * In a src/ file: `import.meta.url` as the URL of the file tsc makes of it in
 * dist/, and the PLAIN_REQUIRES made plain `require`s esbuild sees.
 */
const distImportMetaUrl = {
  name: 'dist-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const contents = readFileSync(args.path, 'utf8');
      if (!args.path.startsWith(src + path.sep) || !contents.includes('import.meta.url')) return undefined;
      const compiled = path.join(dist, path.relative(src, args.path)).replace(/\.ts$/, '.js');
      const relative = path.relative(outdir, compiled).split(path.sep).join('/');
      let rewritten = contents.replaceAll(
        'import.meta.url',
        `new URL(${JSON.stringify(relative)}, __switchyardBundleUrl).href`,
      );
      for (const call of PLAIN_REQUIRES.keys())
        rewritten = rewritten.replaceAll(call, () => {
          plainRequiresFound.add(call);
          return call.replace(/^requireCjs/, 'require');
        });
      return { contents: rewritten, loader: 'ts' };
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

const MAIN = path.join(src, 'cli', 'main.ts');

/**
 * The program with one command: src/cli/main.ts's other commands' modules (its
 * dynamic imports) are replaced by a module that fails, never loaded since
 * main.ts loads the module of the command a command line names, the one
 * bin/switchyard.js picked this file for.
 */
function onlyCommand(name) {
  return {
    name: 'only-command',
    setup(b) {
      b.onResolve({ filter: /^\.\/[a-z-]+\.js$/ }, (args) => {
        if (args.importer !== MAIN || args.kind !== 'dynamic-import') return undefined;
        if (args.path === `./${name}.js`) return undefined;
        return { path: args.path, namespace: 'other-command' };
      });
      b.onLoad({ filter: /.*/, namespace: 'other-command' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`dist/bundle/${name}.cjs holds the ${name} command only, not ${args.path}`)});`,
        loader: 'js',
      }));
    },
  };
}

/** One bundle: the whole program (`command` undefined) or the program with one command. */
async function bundle(command) {
  const { outputFiles, metafile } = await build({
    entryPoints: { [command ?? 'main']: MAIN },
    outdir,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    // every `import()` left (of an external package) as a `require`
    supported: { 'dynamic-import': false },
    outExtension: { '.js': '.cjs' },
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    // no __name calls: renamedErrorClasses guards the one use of a class's name
    keepNames: false,
    banner: { js: "var __switchyardBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [...(command ? [onlyCommand(command)] : []), distImportMetaUrl, lazyChildProcess],
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    write: false,
  });
  const [file] = outputFiles;
  const hash = createHash('sha256').update(file.contents).digest('hex').slice(0, 16);
  return { path: file.path, text: `// switchyard-bundle ${hash}\n${file.text}`, metafile };
}

/** The commands main.ts loads on demand: its dynamic imports of ./<command>.js. */
function commandsOf(metafile) {
  const main = metafile.inputs[path.relative(process.cwd(), MAIN).split(path.sep).join('/')];
  if (!main) throw new Error(`build-cli: ${MAIN} is not among the bundle's inputs`);
  const names = main.imports
    .filter((i) => i.kind === 'dynamic-import' && /^src\/cli\/[a-z-]+\.ts$/.test(i.path))
    .map((i) => path.basename(i.path, '.ts'));
  if (names.length === 0) throw new Error(`build-cli: found no command module imported by ${MAIN}`);
  return names;
}

/**
 * dist/bundle/_vendor-<package>.cjs: a VENDORED package's named exports, as
 * `module.exports`. Bundled from its ES module build (`export *`, the
 * `module` entry first), so esbuild leaves out what none of them reaches
 * (a package's CommonJS build may pull in much more: the S3 signer once
 * vendored here, 252 KB from its CommonJS build, 27 KB from its ES one).
 */
async function vendorBundle(id) {
  const { outputFiles } = await build({
    stdin: {
      contents: `export * from ${JSON.stringify(id)};`,
      resolveDir: root,
      sourcefile: 'vendor.js',
      loader: 'js',
    },
    outfile: path.join(outdir, vendorFile(id)),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    mainFields: ['module', 'main'],
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    // zod, yaml and hyparquet-writer need no function names: __name calls cost the configured
    // start-up some 6 ms
    keepNames: false,
    legalComments: 'none',
    logLevel: 'warning',
    write: false,
  });
  const [file] = outputFiles;
  const hash = createHash('sha256').update(file.contents).digest('hex').slice(0, 16);
  return { path: file.path, text: `// switchyard-bundle ${hash}\n${file.text}` };
}

const all = await bundle(undefined);
for (const [call, file] of PLAIN_REQUIRES)
  if (!plainRequiresFound.has(call)) throw new Error(`build-cli: no src/ file holds ${call} (${file})`);
const outputs = [all, ...(await Promise.all(commandsOf(all.metafile).map((name) => bundle(name))))];
for (const output of outputs) {
  const left = Object.values(output.metafile.outputs).flatMap((o) =>
    o.imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path),
  );
  if (left.length > 0)
    throw new Error(
      `build-cli: ${output.path} still imports ${left.join(', ')} with import(), which the bin's vm.Script cannot run`,
    );
}

/** Each output in ASCII (esbuild's `charset: 'ascii'` escapes the rest): bin/switchyard.js reads bundles as Latin-1. */
function checkAscii(output) {
  const at = Buffer.from(output.text, 'utf8').findIndex((byte) => byte > 0x7f);
  if (at >= 0) throw new Error(`build-cli: ${output.path} has a byte outside ASCII at offset ${at}`);
}

/**
 * The error classes src/ declares (`class KeyUnsafeError extends …`): the
 * error catalogue names each error after its class (`new.target.name`,
 * model/errors.ts), and the build keeps no `__name` call to undo a rename.
 */
function ourErrorClasses(metafile) {
  const names = new Set();
  for (const input of Object.keys(metafile.inputs).filter((p) => p.startsWith('src/')))
    for (const m of readFileSync(path.join(root, input), 'utf8').matchAll(/\bclass ([A-Z]\w*Error)\b/g))
      names.add(m[1]);
  return names;
}

/**
 * Those of `ours` that esbuild renamed in `text` for a clash between modules
 * (`class KeyUnsafeError2`, `KeyUnsafeError2 = class`). A package's own may
 * be (commander's CommanderError2): its errors are told apart by `code`.
 */
function renamedErrorClasses(text, ours) {
  return [...text.matchAll(/\b([A-Z]\w*Error)(\d+)\b(?=\s*=\s*class\b|\s+extends\b|\s*\{)/g)]
    .filter((m) => ours.has(m[1]))
    .map((m) => `${m[1]}${m[2]}`);
}
const errorClasses = ourErrorClasses(all.metafile);
if (!errorClasses.has('SwitchyardError'))
  throw new Error('build-cli: found no SwitchyardError among the classes src/ declares');
for (const output of outputs) {
  const renamed = renamedErrorClasses(output.text, errorClasses);
  if (renamed.length > 0)
    throw new Error(
      `build-cli: ${output.path} renames error classes (${renamed.join(', ')}): give each a name no other bundled module uses`,
    );
}

outputs.push(...(await Promise.all(VENDORED.map((id) => vendorBundle(id)))));
for (const output of outputs) checkAscii(output);

const partial = `${outdir}.${process.pid}.partial`;
rmSync(partial, { recursive: true, force: true });
mkdirSync(partial, { recursive: true });
for (const output of outputs)
  writeFileSync(path.join(partial, path.relative(outdir, output.path)), output.text);
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
