// The house's rules (.dependency-cruiser.cjs, run by `npm run lint`): every
// import points down a floor, no import cycles, no file outside a floor. The
// tree itself passes; a copy of the rules over a small made-up tree shows that
// an upward import and a cycle are each refused.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const depcruise = path.join(repo, 'node_modules/.bin/depcruise');

async function cruise(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(depcruise, ['src', '--config', '.dependency-cruiser.cjs'], { cwd });
    return { code: 0, output: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, output: e.stdout };
  }
}

describe('the house reads one way', () => {
  let tree: string;
  beforeAll(async () => {
    tree = await mkdtemp(path.join(tmpdir(), 'switchyard-house-'));
    await cp(path.join(repo, '.dependency-cruiser.cjs'), path.join(tree, '.dependency-cruiser.cjs'));
    await writeFile(
      path.join(tree, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
    );
    for (const dir of ['model', 'cli', 'router', 'storage'])
      await mkdir(path.join(tree, 'src', dir), { recursive: true });
  });
  afterAll(async () => rm(tree, { recursive: true, force: true }));

  async function files(entries: Record<string, string>): Promise<void> {
    await rm(path.join(tree, 'src'), { recursive: true, force: true });
    for (const [name, text] of Object.entries(entries)) {
      await mkdir(path.dirname(path.join(tree, 'src', name)), { recursive: true });
      await writeFile(path.join(tree, 'src', name), text);
    }
  }

  it('the repository passes its own rules', async () => {
    const { code, output } = await cruise(repo);
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  }, 60_000);

  it('refuses a model file that imports from the CLI', async () => {
    await files({
      'model/keys.ts': "import { main } from '../cli/main.js';\nexport const k = main;\n",
      'cli/main.ts': 'export const main = 1;\n',
    });
    const { code, output } = await cruise(tree);
    expect(code).not.toBe(0);
    expect(output).toContain('no-upward-from-model');
    expect(output).toContain('src/model/keys.ts → src/cli/main.ts');
  }, 60_000);

  it('refuses an import cycle, even within one floor', async () => {
    await files({
      'router/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'router/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    const { code, output } = await cruise(tree);
    expect(code).not.toBe(0);
    expect(output).toContain('no-circular');
  }, 60_000);

  it('refuses a file that belongs to no floor', async () => {
    await files({
      'stray/x.ts': "import { y } from '../storage/y.js';\nexport const x = y;\n",
      'storage/y.ts': 'export const y = 1;\n',
    });
    const { code, output } = await cruise(tree);
    expect(code).not.toBe(0);
    expect(output).toContain('src-is-whole');
  }, 60_000);

  it('lets a floor import the floors below it', async () => {
    await files({
      'router/plan.ts':
        "import { k } from '../model/keys.js';\nimport { s } from '../storage/s.js';\nexport const p = [k, s];\n",
      'model/keys.ts': 'export const k = 1;\n',
      'storage/s.ts': "import { k } from '../model/keys.js';\nexport const s = k;\n",
    });
    const { code } = await cruise(tree);
    expect(code).toBe(0);
  }, 60_000);
});
