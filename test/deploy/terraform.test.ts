import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getFunction } from '@google-cloud/functions-framework/testing';
import { describe, expect, it } from 'vitest';
import { parseConfigFile } from '../../src/config/load.js';
import { configFileSchema } from '../../src/config/schema.js';
import {
  allSources,
  environmentNames,
  declaredAndUsed,
  readModule,
  readsEnvironment,
  requiredConfigKeys,
  resourceBodies,
  resourceReferences,
  sourceOf,
  splitLambdaHandler,
  stringAttributes,
  stringLiterals,
} from './terraform-reader.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TERRAFORM = path.join(ROOT, 'deploy', 'terraform');
const gcp = readModule(path.join(TERRAFORM, 'gcp'));
const aws = readModule(path.join(TERRAFORM, 'aws'));
const sources = allSources(path.join(ROOT, 'src'));
const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; default: string }>;
};
const exported = new Set(Object.values(packageJson.exports).map((p) => p.default.replace(/^\.\//, '')));

async function load(distModule: string): Promise<Record<string, unknown>> {
  const source = sourceOf(ROOT, distModule);
  expect(existsSync(source), `${distModule} is built from ${source}`).toBe(true);
  return (await import(pathToFileURL(source).href)) as Record<string, unknown>;
}

describe('deploy/terraform/gcp', () => {
  it('runs every function on nodejs24', () => {
    const runtimes = stringAttributes(gcp, 'runtime');
    expect(runtimes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(runtimes)).toEqual(new Set(['nodejs24']));
  });

  it('names entry points that the modules it deploys register with functions-framework', async () => {
    const mains = stringLiterals(gcp, /dist\/triggers\/cloud\/[\w-]+\.js/);
    const entryPoints = stringAttributes(gcp, 'entry_point');
    expect(mains.length).toBeGreaterThanOrEqual(2);
    expect(entryPoints.length).toBeGreaterThanOrEqual(2);
    for (const main of mains) {
      expect(exported, `package.json exports ${main}`).toContain(main);
      await load(main);
    }
    for (const entryPoint of entryPoints) {
      expect(getFunction(entryPoint), `a function registered as ${entryPoint}`).toBeTypeOf('function');
    }
  });

  it('deploys each function with the module that registers its entry point', () => {
    const mains = new Map(
      [
        ...(/function_main\s*=\s*\{([^}]*)\}/.exec(gcp.text)?.[1] ?? '').matchAll(/(\w+)\s*=\s*"([^"]+)"/g),
      ].map((m) => [m[1] as string, m[2] as string]),
    );
    const functions = resourceBodies(gcp, 'google_cloudfunctions2_function');
    expect([...functions.keys()].sort()).toEqual(['drain', 'event']);
    for (const [name, body] of functions) {
      const entryPoint = /entry_point\s*=\s*"([^"]+)"/.exec(body)?.[1];
      const archive = /google_storage_bucket_object\.function\["(\w+)"\]/.exec(body)?.[1] ?? '';
      const main = mains.get(archive);
      expect(main, `function ${name} deploys an archive of function_main`).toBeDefined();
      const source = readFileSync(sourceOf(ROOT, main as string), 'utf8');
      expect(source, `${main} names ${entryPoint} (function ${name})`).toContain(`'${entryPoint}'`);
    }
  });
});

describe('deploy/terraform/aws', () => {
  it('runs every function on nodejs24.x', () => {
    const runtimes = stringAttributes(aws, 'runtime');
    expect(runtimes.length).toBeGreaterThanOrEqual(1);
    expect(new Set(runtimes)).toEqual(new Set(['nodejs24.x']));
  });

  it('names handlers that the built modules export', async () => {
    const handlers = stringAttributes(aws, 'handler');
    expect(handlers.length).toBeGreaterThanOrEqual(1);
    for (const handler of handlers) {
      const { module, exportName } = splitLambdaHandler(handler);
      expect(exported, `package.json exports ${module}`).toContain(module);
      expect((await load(module))[exportName], `${module} exports ${exportName}`).toBeTypeOf('function');
    }
  });
});

describe.each([
  ['gcp', gcp],
  ['aws', aws],
])('deploy/terraform/%s and the code', (name, module) => {
  it('sets only environment variables the code reads', () => {
    const names = environmentNames(module);
    expect(names).toEqual(expect.arrayContaining(['SWITCHYARD_ROUTES', 'SWITCHYARD_CONFIG']));
    expect(names.filter((n) => !readsEnvironment(sources, n))).toEqual([]);
  });

  it('declares every variable and local it uses, and uses every variable it declares', () => {
    for (const kind of ['var', 'local'] as const) {
      const { declared, used } = declaredAndUsed(module, kind);
      expect(
        used.filter((n) => !declared.includes(n)),
        `undeclared ${kind}`,
      ).toEqual([]);
      if (kind === 'var')
        expect(
          declared.filter((n) => !used.includes(n)),
          'unused variables',
        ).toEqual([]);
    }
  });

  it('refers only to resources and data sources it declares', () => {
    const { declared, referenced } = resourceReferences(module);
    expect(referenced.length).toBeGreaterThan(10);
    expect(referenced.filter((r) => !declared.includes(r))).toEqual([]);
  });

  it('requires only switchyard.yaml keys the config schema knows', () => {
    const keys = requiredConfigKeys(module);
    expect(keys).toContain('routesProject');
    expect(keys.filter((k) => !(k in configFileSchema.shape))).toEqual([]);
  });

  it('ships an example switchyard.yaml the config loader accepts', async () => {
    const file = path.join(TERRAFORM, name, 'switchyard.example.yaml');
    const config = await parseConfigFile(readFileSync(file, 'utf8'), file);
    for (const key of requiredConfigKeys(module)) expect(config, `${file} sets ${key}`).toHaveProperty(key);
    expect(config.projects[config.routesProject ?? '']?.backend).toBe(name === 'gcp' ? 'gcs' : 's3');
  });
});

const terraform = spawnSync('terraform', ['version'], { encoding: 'utf8' });
const noTerraform = terraform.error ? `terraform is not on PATH (${terraform.error.message})` : undefined;
if (noTerraform) console.log(`[deploy] skipping "terraform fmt -check": ${noTerraform}`);

describe('deploy/terraform formatting', () => {
  it.skipIf(noTerraform !== undefined)(
    'passes terraform fmt -check (validate needs the providers: not offline)',
    () => {
      const fmt = spawnSync('terraform', ['fmt', '-check', '-recursive', '-diff', TERRAFORM], {
        encoding: 'utf8',
      });
      expect(fmt.stdout).toBe('');
      expect(fmt.status).toBe(0);
    },
  );
});
