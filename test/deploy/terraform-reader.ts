import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A small reader for the subset of HCL the deploy modules use: it drops
 * comment lines and pulls out quoted attribute values and SWITCHYARD_* names.
 * It does not evaluate expressions; `terraform fmt` (when installed) checks syntax.
 */
export interface TerraformModule {
  dir: string;
  /** Every .tf file of the folder, comment lines removed, concatenated. */
  text: string;
}

export function readModule(dir: string): TerraformModule {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort();
  if (files.length === 0) throw new Error(`[test] [deploy] no .tf file in ${dir}`);
  const text = files
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n')
    .split('\n')
    .filter((line) => !/^\s*(#|\/\/)/.test(line))
    .join('\n');
  return { dir, text };
}

/** Values of `name = "literal"` attributes, in order of appearance. */
export function stringAttributes(module: TerraformModule, name: string): string[] {
  const pattern = new RegExp(`^\\s*${name}\\s*=\\s*"([^"]*)"`, 'gm');
  return [...module.text.matchAll(pattern)].map((m) => m[1] as string);
}

/** Quoted string literals matching `pattern` (anchored to the whole literal). */
export function stringLiterals(module: TerraformModule, pattern: RegExp): string[] {
  return [...module.text.matchAll(/"([^"\n]*)"/g)]
    .map((m) => m[1] as string)
    .filter((s) => new RegExp(`^(?:${pattern.source})$`).test(s));
}

/** SWITCHYARD_* environment variable names the module sets. */
export function environmentNames(module: TerraformModule): string[] {
  return [...new Set(module.text.match(/\bSWITCHYARD_[A-Z0-9_]+\b/g) ?? [])].sort();
}

/** Config keys the module requires of switchyard.yaml: `(?m)^KEY:` in its regexes. */
export function requiredConfigKeys(module: TerraformModule): string[] {
  return [...new Set([...module.text.matchAll(/\(\?m\)\^([A-Za-z]+):/g)].map((m) => m[1] as string))];
}

/** `dist/cloud/aws.handler` → module `dist/cloud/aws.js`, export `handler`. */
export function splitLambdaHandler(handler: string): { module: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new Error(`[test] [deploy] expected FILE.EXPORT as a Lambda handler, got ${handler}`);
  return { module: `${handler.slice(0, dot)}.js`, exportName: handler.slice(dot + 1) };
}

/** The TypeScript source a built module comes from (tsconfig.build.json: src → dist). */
export function sourceOf(root: string, distModule: string): string {
  if (!distModule.startsWith('dist/'))
    throw new Error(`[test] [deploy] expected a dist/ module, got ${distModule}`);
  return path.join(root, 'src', distModule.slice('dist/'.length).replace(/\.js$/, '.ts'));
}

/** Whether the code under `srcDir` reads an environment variable: `env.NAME` or `'NAME'`. */
export function readsEnvironment(sources: string, name: string): boolean {
  return new RegExp(`env\\.${name}\\b|['"\`]${name}['"\`]`).test(sources);
}

export function allSources(dir: string): string {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}
