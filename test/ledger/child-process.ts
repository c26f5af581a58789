import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

/**
 * Transpiles `entries` (repo-relative .ts files) and every relative module
 * they import into CommonJS under `outDir`, so plain `node` child processes
 * can load the real implementation (Node 20 runs no TypeScript).
 */
export async function compileForChildren(entries: string[], outDir: string): Promise<void> {
  const seen = new Set<string>();
  const queue = entries.map((e) => resolve(ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
      if (fileName.startsWith('.')) queue.push(resolve(dirname(file), fileName.replace(/\.js$/, '.ts')));
    }
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    });
    const target = join(outDir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(target), { recursive: true });
    // CommonJS has no import.meta: the module's own file URL is what the source asks for
    await writeFile(
      target,
      outputText.replaceAll('import.meta.url', "require('node:url').pathToFileURL(__filename).href"),
    );
  }
  await writeFile(join(outDir, 'package.json'), '{"type":"commonjs"}');
}

/** Runs a CommonJS `script` (written into `outDir`) with node; resolves its stdout parsed as JSON. */
export async function runChild<T>(outDir: string, script: string, args: string[]): Promise<T> {
  const file = join(outDir, `child-${Math.random().toString(36).slice(2)}.cjs`);
  await writeFile(file, script);
  const { stdout } = await run(process.execPath, [file, ...args], {
    cwd: outDir,
    env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as T;
}
