// The build's stamp: what `npm run build` was made from, so that a benchmark
// run can skip a build whose outputs are already those of the sources.
//
//   node scripts/build-stamp.mjs begin   first step of `npm run build`: drops
//        the stamp (a build that fails half-way leaves none) and notes the hash
//        of the inputs as they are when the build starts
//   node scripts/build-stamp.mjs end     last step: writes dist/.build-stamp.json,
//        the inputs' hash noted at the start and the hash of every file in dist/
//   node scripts/build-stamp.mjs check   exits 0 when the stamp's inputs are the
//        sources now and its outputs are dist/ now, 1 otherwise (saying why)
//
// The inputs are the content of every file under src/, the tsconfigs, the
// build scripts, bin/vendored.json, package.json and package-lock.json; the
// outputs are the content of every file under dist/. Contents, not times: a
// file only touched changes nothing; an edited source, a checkout of other
// sources, or an output deleted from dist/ (which tsc would not write again
// while its sources stand unchanged) makes the check fail.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');
const STAMP = path.join(dist, '.build-stamp.json');
const BEGUN = path.join(dist, '.build-stamp.begun');
const INPUTS = [
  'src',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts/build-cli.mjs',
  'scripts/build-dashboard.mjs',
  'scripts/build-stamp.mjs',
  'bin/vendored.json',
  'package.json',
  'package-lock.json',
];

/** Every file under `entry` (itself when it is a file), relative to the root, sorted. */
function filesOf(entry) {
  const full = path.join(root, entry);
  let dirents;
  try {
    dirents = readdirSync(full, { withFileTypes: true });
  } catch (error) {
    if (error.code === 'ENOTDIR') return [entry];
    if (error.code === 'ENOENT') return [];
    throw error;
  }
  return dirents
    .flatMap((d) => (d.isDirectory() ? filesOf(path.join(entry, d.name)) : [path.join(entry, d.name)]))
    .sort();
}

/** SHA-256 over each file's path and content, in order. */
function hashOf(files) {
  const hash = createHash('sha256');
  for (const file of files) {
    const content = readFileSync(path.join(root, file));
    hash.update(`${file}\0${content.length}\0`).update(content);
  }
  return hash.digest('hex');
}

const inputsHash = () => hashOf(INPUTS.flatMap(filesOf));
const outputsHash = () =>
  hashOf(filesOf('dist').filter((f) => f !== path.relative(root, STAMP) && f !== path.relative(root, BEGUN)));

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT' || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function writeAtomically(file, text) {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, text);
  renameSync(partial, file);
}

const step = process.argv[2];
if (step === 'begin') {
  rmSync(STAMP, { force: true });
  mkdirSync(dist, { recursive: true });
  writeFileSync(BEGUN, `${inputsHash()}\n`);
} else if (step === 'end') {
  const inputs = readFileSync(BEGUN, 'utf8').trim();
  writeAtomically(STAMP, `${JSON.stringify({ inputs, outputs: outputsHash() }, null, 2)}\n`);
  rmSync(BEGUN, { force: true });
} else if (step === 'check') {
  const stamp = readJson(STAMP);
  const why = !stamp
    ? 'no stamp of a finished build in dist/'
    : stamp.inputs !== inputsHash()
      ? 'the sources changed since the last build'
      : stamp.outputs !== outputsHash()
        ? 'dist/ changed since the last build'
        : undefined;
  if (why) {
    console.error(`build needed: ${why}`);
    process.exit(1);
  }
  console.error('build is current: dist/ was built from the sources as they are');
} else {
  console.error('usage: node scripts/build-stamp.mjs begin|end|check');
  process.exit(2);
}
