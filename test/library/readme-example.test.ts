// The README's "Use as a library" example, run as written: it imports the
// package by its own name (self-reference through package.json `exports`, so
// from dist/), against the Quick start's referential and landing file.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');

async function readmeBlock(heading: string, language: string): Promise<string> {
  const readme = await readFile(path.join(repo, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  const block = section?.match(new RegExp('```' + language + '\\n([\\s\\S]*?)```'))?.[1];
  if (!block) throw new Error(`README.md has no ${language} block under "## ${heading}"`);
  return block;
}

describe('README: use as a library', () => {
  const made: string[] = [];
  afterEach(async () => {
    for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('the example routes the Quick start file and explains a name, importing the package by its name', async () => {
    const { name } = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8')) as { name: string };
    const example = await readmeBlock('Use as a library', 'js');
    expect(example).toContain(`from '${name}'`);
    // inside the package, so that `import '<name>'` resolves to this package itself
    const scripts = await mkdtemp(path.join(repo, 'test', 'library', '.run-'));
    const work = await mkdtemp(path.join(tmpdir(), 'switchyard-library-'));
    made.push(scripts, work);
    await writeFile(
      path.join(work, 'routes.csv'),
      'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory\n' +
        'source_bucket,raw_data,finance.*\\.csv,finance,raw_data,\n' +
        'source_bucket,raw_data,sale.*\\.csv,sales,raw_data,\n',
    );
    await mkdir(path.join(work, 'data/source_bucket/raw_data'), { recursive: true });
    await writeFile(path.join(work, 'data/source_bucket/raw_data/finance_2024.csv'), 'a,b\n');
    await writeFile(path.join(scripts, 'example.mjs'), example);

    const { stdout } = await run(process.execPath, [path.join(scripts, 'example.mjs')], { cwd: work });

    expect(stdout.split('\n').filter(Boolean)).toEqual([
      "routed [ 'finance/raw_data/finance_2024.csv' ]",
      "[ 'sales/raw_data/sale_1.csv' ]",
    ]);
    expect(await readFile(path.join(work, 'data/finance/raw_data/finance_2024.csv'), 'utf8')).toBe('a,b\n');
  });
});
