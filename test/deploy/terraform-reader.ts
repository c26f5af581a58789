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

/** `dist/triggers/cloud/aws.handler` → module `dist/triggers/cloud/aws.js`, export `handler`. */
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

/** Names of `kind` the module declares (`variable "x"`, or `locals { x = … }` attributes) and those it uses (`var.x`, `local.x`). */
export function declaredAndUsed(
  module: TerraformModule,
  kind: 'var' | 'local',
): { declared: string[]; used: string[] } {
  const declared =
    kind === 'var'
      ? [...module.text.matchAll(/^variable\s+"(\w+)"/gm)].map((m) => m[1] as string)
      : [...module.text.matchAll(/^locals\s*\{\n([\s\S]*?)^\}/gm)].flatMap((m) =>
          [...(m[1] as string).matchAll(/^ {2}(\w+)\s*=/gm)].map((a) => a[1] as string),
        );
  const used = [...module.text.matchAll(new RegExp(`\\b${kind}\\.(\\w+)`, 'g'))].map((m) => m[1] as string);
  return { declared: [...new Set(declared)].sort(), used: [...new Set(used)].sort() };
}

/** `TYPE.NAME` of every resource and `data.TYPE.NAME` of every data source the module refers to, and those it declares. */
export function resourceReferences(module: TerraformModule): { declared: string[]; referenced: string[] } {
  const declared = [...module.text.matchAll(/^(resource|data)\s+"(\w+)"\s+"(\w+)"/gm)].map((m) =>
    m[1] === 'data' ? `data.${m[2]}.${m[3]}` : `${m[2]}.${m[3]}`,
  );
  const referenced = [
    ...module.text.matchAll(/(?<![\w."])((?:data\.)?(?:google|aws|archive|terraform)_\w+\.\w+)/g),
  ].map((m) => m[1] as string);
  return { declared: [...new Set(declared)].sort(), referenced: [...new Set(referenced)].sort() };
}

/** The body of `resource "TYPE" "NAME" { … }`, by brace matching (braces inside strings are not expected here). */
export function resourceBodies(module: TerraformModule, type: string): Map<string, string> {
  const bodies = new Map<string, string>();
  for (const m of module.text.matchAll(new RegExp(`^resource\\s+"${type}"\\s+"(\\w+)"\\s*\\{`, 'gm'))) {
    let depth = 1;
    let i = (m.index ?? 0) + m[0].length;
    const start = i;
    for (; i < module.text.length && depth > 0; i++) {
      if (module.text[i] === '{') depth++;
      else if (module.text[i] === '}') depth--;
    }
    bodies.set(m[1] as string, module.text.slice(start, i - 1));
  }
  return bodies;
}
