// `switchyard validate` checks switchyard.yaml too: unknown keys, wrong types,
// an s3 project without region, secrets inlined instead of referenced, and
// that every project backend can be built (no network call).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/workspace.js';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
src,landing,\\.csv$,fin,raw,
`;

const GOOD = `# projects and their backends
projects:
  src:
    backend: s3
    region: eu-west-3
    endpoint: "http://127.0.0.1:9"
    forcePathStyle: true
    accessKeyIdEnv: SRC_KEY_ID
    secretAccessKeyEnv: SRC_SECRET
  fin:
    backend: gcs
    projectId: finance-prod
    apiEndpoint: "http://127.0.0.1:9"
`;

interface ValidateJson {
  ok: boolean;
  routes: number;
  projects: string[];
  errors: Array<{ file: string; line: number; column: string; message: string }>;
}

describe('validate: switchyard.yaml', () => {
  let ws: Workspace;
  afterEach(async () => ws?.remove());

  async function withConfig(yaml: string): Promise<string> {
    ws = await Workspace.create(ROUTES);
    ws.env = { SRC_KEY_ID: 'id', SRC_SECRET: 'secret' };
    const file = path.join(ws.dir, 'switchyard.yaml');
    await writeFile(file, yaml);
    return file;
  }

  it('accepts a good config and builds each backend without touching the network', async () => {
    await withConfig(GOOD);
    const run = await ws.run('validate');
    expect(run.stdout).toBe('');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/referential OK: 1 route\(s\), 0 warning\(s\); config OK: 2 project\(s\)/);
  });

  it('reports unknown keys, wrong types and a missing region as FILE:LINE: column: message naming project and key', async () => {
    const file = await withConfig(`projects:
  src:
    backend: s3
    endpoint: "http://127.0.0.1:9"
    forcePathStyle: yes-please
    bucketRegion: eu-west-3
  fin:
    backend: gcs
    apiEndpoint: 42
concurrency: many
`);
    const run = await ws.run('validate');
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toContain(
      `${file}:2: projects.src.region: project \`src\`, key \`region\`: missing: expected the bucket's region (e.g. eu-west-3); an unstated region silently becomes us-east-1`,
    );
    expect(lines).toContain(
      `${file}:5: projects.src.forcePathStyle: project \`src\`, key \`forcePathStyle\`: expected a boolean, got "yes-please"`,
    );
    expect(
      lines.find((l) =>
        l.startsWith(
          `${file}:6: projects.src.bucketRegion: project \`src\`, key \`bucketRegion\`: unknown key: expected one of backend, region,`,
        ),
      ),
    ).toBeDefined();
    expect(lines).toContain(
      `${file}:9: projects.fin.apiEndpoint: project \`fin\`, key \`apiEndpoint\`: expected a string, got 42`,
    );
    expect(lines).toContain(`${file}:10: concurrency: key \`concurrency\`: expected a number, got "many"`);
  });

  it('refuses secrets given inline, pointing at the key that references them', async () => {
    const file = await withConfig(`projects:
  src:
    backend: s3
    region: us-east-1
    accessKeyIdEnv: AKIAIOSFODNN7EXAMPLE
    secretAccessKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
  fin:
    backend: gcs
    credentials: "{ private_key: x }"
`);
    const run = await ws.run('validate', '--json');
    expect(run.code).toBe(1);
    const { errors } = run.json<ValidateJson>();
    expect(errors).toContainEqual(
      expect.objectContaining({
        file,
        line: 5,
        column: 'projects.src.accessKeyIdEnv',
        message: expect.stringMatching(/looks like an AWS access key id/),
      }),
    );
    expect(errors).toContainEqual(
      expect.objectContaining({
        line: 6,
        column: 'projects.src.secretAccessKey',
        message: expect.stringMatching(/never inline: use `secretAccessKeyEnv: ENV_VAR_NAME`/),
      }),
    );
    expect(errors).toContainEqual(
      expect.objectContaining({
        line: 9,
        column: 'projects.fin.credentials',
        message: expect.stringMatching(/keyFile/),
      }),
    );
    expect(JSON.stringify(errors)).not.toContain('wJalrXUtnFEMI');
  });

  it('reports a backend that cannot be built: an env var the config names is not set', async () => {
    const file = await withConfig(GOOD);
    ws.env = { SRC_KEY_ID: 'id' };
    const run = await ws.run('validate', '--json');
    expect(run.code).toBe(1);
    const { errors } = run.json<ValidateJson>();
    expect(errors).toEqual([
      expect.objectContaining({
        file,
        line: 9,
        column: 'projects.src.secretAccessKeyEnv',
        message: expect.stringMatching(
          /^project `src`, key `secretAccessKeyEnv`: cannot build its s3 backend: .*SRC_SECRET, which is not set/,
        ),
      }),
    ]);
  });

  it('checks routes / routesProject: a bucket referential needs a project of the matching backend', async () => {
    const file = await withConfig(`${GOOD}routes: gs://conf/routes.csv\nroutesProject: src\n`);
    const run = await ws.run('validate');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `${file}:15: routesProject: key \`routesProject\`: routes gs://conf/routes.csv needs a gcs project, but project \`src\` has backend \`s3\``,
    );
  });

  it('reports YAML syntax errors with their line', async () => {
    const file = await withConfig('projects:\n  src: [unclosed\n');
    const run = await ws.run('validate');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: \\(yaml\\): not valid YAML`),
    );
  });
});
