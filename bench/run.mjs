// `npm run bench [-- --quick] [-- --only name,name]`: runs every benchmark under bench/,
// prints one markdown table and writes bench/results.json.
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { have, markdownTable, quietDisk, row } from './lib/common.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ORDER = ['match', 'fs-move', 'copy-large', 'event-latency', 'batch', 's3', 'scale', 'dashboard'];

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;

const files = (await readdir(HERE))
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .map((f) => f.slice(0, -4));
const names = [
  ...ORDER.filter((n) => files.includes(n)),
  ...files.filter((n) => !ORDER.includes(n)).sort(),
].filter((n) => !only || only.has(n));

if (!have('rclone'))
  console.error(
    'note: rclone is missing (apt-get install -y rclone); its comparisons are reported as missing',
  );

const rows = [];
for (const name of names) {
  const started = Date.now();
  // each benchmark starts on a quiet disk: the stalls that follow copy-large's
  // gigabytes are waited out here, not timed in the next benchmark's fsyncs
  const waited = await quietDisk();
  if (waited > 1000)
    process.stderr.write(`(waited ${(waited / 1000).toFixed(1)} s for the disk to settle)\n`);
  process.stderr.write(`bench ${name}${quick ? ' (quick)' : ''} …\n`);
  try {
    const mod = await import(pathToFileURL(path.join(HERE, `${name}.mjs`)).href);
    rows.push(...(await mod.run({ quick })));
  } catch (error) {
    console.error(`bench ${name} failed: ${error instanceof Error ? error.stack : error}`);
    rows.push({
      ...row(`${name}: FAILED (${error instanceof Error ? error.message.split('\n')[0] : error})`, null, ''),
      holds: false,
    });
  }
  process.stderr.write(`bench ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

console.log(markdownTable(rows));
await writeFile(path.join(HERE, 'results.json'), `${JSON.stringify(rows, null, 2)}\n`);
console.error(`wrote ${path.join(HERE, 'results.json')}`);
