#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json): Node starts a CommonJS main module without its
// ES module loader. Loads the bundle `npm run build` makes
// (scripts/build-cli.mjs): dist/bundle/<command>.cjs when the command line
// names a command that has one, dist/bundle/main.cjs (every command)
// otherwise; tsc's dist/cli/main.js when there is no bundle.
//
// The bundle is compiled with V8's code cache: the code V8 compiled for it in
// an earlier run (every function that run called, so neither parsed nor
// compiled again), kept per user in $XDG_CACHE_HOME/switchyard/v8 (else
// ~/.cache/switchyard/v8), named by the bundle's content hash (its first
// line), the platform and V8 version, Node's options and the bundle's path
// (V8 names a cached function's file as the run that made the cache did, so
// two installs of one build would cite each other's files in stack traces).
// Written once, after a run that found none (or one V8 refused); a cache that cannot be read or
// written only costs that run the compile. NODE_DISABLE_COMPILE_CACHE=1 (the
// variable Node >= 22.1 reads for its own cache) turns it off. The packages
// only some runs need (bin/vendored.json: zod, yaml, hyparquet-writer) are
// each in a bundle of its own, dist/bundle/_vendor-<package>.cjs (a `/` in the
// name as `+`), loaded the same way, with a cache of its own, when a command
// bundle first requires the package. The same cache folder keeps the
// configurations this build has checked (src/config/memo.ts): the bin hands
// the program that folder and the bundle's name and hash.
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const module_ = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

// Node's own compile cache (>= 22.1; absent on 20) for the modules Node loads
// itself: better-sqlite3's JavaScript, tsc's dist/ when there is no bundle.
module_.enableCompileCache?.();

const BUNDLE = path.join(__dirname, '..', 'dist', 'bundle');
// Packages bundled apart, one file each (scripts/build-cli.mjs): loaded, with
// their own code cache, when a command bundle first requires one.
const VENDORED = new Set(require('./vendored.json'));
/** The bundle of a VENDORED package: dist/bundle/_vendor-<id, a `/` as `+`>.cjs. */
const vendorFile = (id) => path.join(BUNDLE, `_vendor-${id.replaceAll('/', '+')}.cjs`);
const HEADER = /^\/\/ switchyard-bundle ([0-9a-f]{16})\n/;

/** The bundle a command line needs: its command's own (the first argument that is not an option), else every command's. */
function bundleSource(argv) {
  const named = argv.slice(2).find((a) => !a.startsWith('-'));
  const files = /^[a-z][a-z-]*$/.test(named ?? '') ? [`${named}.cjs`, 'main.cjs'] : ['main.cjs'];
  for (const name of files) {
    const file = path.join(BUNDLE, name);
    try {
      return { file, source: readBundle(file) };
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
  }
  return undefined;
}

/**
 * A bundle's text. The build writes bundles in ASCII (scripts/build-cli.mjs
 * checks it), so its bytes are read as Latin-1, each the character it is:
 * no UTF-8 decoding, and a third fewer memory pages touched than reading it
 * as UTF-8 (about 1.5 ms of start-up where a page fault costs 10 µs).
 */
function readBundle(file) {
  return readFileSync(file).toString('latin1');
}

/** A short, stable hash of a string (FNV-1a, 32 bits, hex). */
function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The user's cache folder for switchyard ($XDG_CACHE_HOME/switchyard, else ~/.cache/switchyard), if there is one. */
function cacheFolder() {
  const base = process.env.XDG_CACHE_HOME || (process.env.HOME && path.join(process.env.HOME, '.cache'));
  return base ? path.join(base, 'switchyard') : undefined;
}

/** Where this bundle's code cache is (or goes), if it has one. */
function cachePath(file, source) {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const hash = HEADER.exec(source)?.[1];
  const folder = cacheFolder();
  if (!hash || !folder) return undefined;
  const flags = fnv1a(`${process.execArgv.join(' ')}\0${process.env.NODE_OPTIONS ?? ''}\0${file}`);
  const name = path.basename(file, '.cjs');
  return path.join(
    folder,
    'v8',
    `${name}.${hash}.${process.platform}-${process.arch}.v8-${process.versions.v8}.${flags}.cache`,
  );
}

/**
 * What the program may keep between runs (src/config/memo.ts): the cache
 * folder, and the build as the command bundle's name and content hash.
 */
function memoOf(file, source) {
  const hash = HEADER.exec(source)?.[1];
  const folder = cacheFolder();
  return hash && folder ? { dir: folder, build: `${path.basename(file, '.cjs')}.${hash}` } : undefined;
}

function readCache(file) {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes the code cache beside a temporary name then renames it in, and drops this bundle's older ones for the same V8. */
function writeCache(file, script) {
  const dir = path.dirname(file);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    renameSync(temporary, file);
    const [name, , ...rest] = path.basename(file).split('.');
    const sameV8 = rest.join('.');
    for (const other of readdirSync(dir)) {
      const [otherName, , ...otherRest] = other.split('.');
      if (other !== path.basename(file) && otherName === name && otherRest.join('.') === sameV8)
        rmSync(path.join(dir, other), { force: true });
    }
  } catch {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // no folder to remove it from
    }
  }
}

/** The loaded vendor bundles, by package (null: there is none, node_modules serves). */
const vendors = new Map();

/** `require` for a command bundle: a VENDORED package from its own bundle when there is one, anything else from node_modules. */
function bundleRequire(file) {
  const plain = module_.createRequire(file);
  const required = (id) => {
    if (!VENDORED.has(id)) return plain(id);
    let vendor = vendors.get(id);
    if (vendor === undefined) {
      const vendorPath = vendorFile(id);
      let source;
      try {
        source = readBundle(vendorPath);
      } catch (error) {
        if (error.code !== 'ENOENT') throw error;
      }
      vendor = source === undefined ? null : loadBundle(vendorPath, source);
      vendors.set(id, vendor);
    }
    return vendor === null ? plain(id) : vendor.exports;
  };
  return Object.assign(required, { resolve: plain.resolve, cache: plain.cache, main: plain.main });
}

/** Compiles and runs a CommonJS bundle as Node's loader would, with the code cache; resolves to its exports and a cache writer. */
function loadBundle(file, source) {
  const cache = cachePath(file, source);
  const cachedData = cache === undefined ? undefined : readCache(cache);
  // the wrapper on the first line, so line numbers in stack traces are the file's
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    { filename: file, cachedData },
  );
  const module = { exports: {} };
  script
    .runInThisContext()
    .call(module.exports, module.exports, bundleRequire(file), module, file, path.dirname(file));
  const stale = cache !== undefined && (cachedData === undefined || script.cachedDataRejected === true);
  return { exports: module.exports, saveCache: () => stale && writeCache(cache, script) };
}

async function run() {
  const bundle = bundleSource(process.argv);
  if (bundle === undefined) {
    const { main } = await import('../dist/cli/main.js');
    return main(process.argv);
  }
  const { exports, saveCache } = loadBundle(bundle.file, bundle.source);
  const code = await exports.main(process.argv, undefined, memoOf(bundle.file, bundle.source));
  saveCache();
  for (const vendor of vendors.values()) vendor?.saveCache();
  return code;
}

run().then((code) => {
  process.exitCode = code;
});
