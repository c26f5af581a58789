// The cloud entry points route only between projects switchyard.yaml declares:
// a function's disk is ephemeral, so a project taken for a local folder would
// receive moved files and lose them with the instance.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gcpDrainOptionsFromEnv } from '../../src/triggers/cloud/gcp-drain.js';
import { cloudRuntime, handleLambdaEvent, type CloudRuntimeHolder } from '../../src/triggers/cloud/handler.js';
import { Workspace } from '../helpers/workspace.js';
import { CSV, TEST_ROUTES } from '../http/harness.js';
import { folderProjectsYaml, TEST_PROJECTS } from './env.js';

describe('cloud entry points: only declared projects', () => {
  let ws: Workspace | undefined;
  let runtime: CloudRuntimeHolder | undefined;
  afterEach(async () => {
    await runtime?.close();
    await ws?.remove();
    ws = runtime = undefined;
  });

  /** A workspace whose switchyard.yaml is `yaml` (none when undefined), and the function's environment. */
  async function deployment(yaml: string | undefined): Promise<Record<string, string>> {
    ws = await Workspace.create(TEST_ROUTES);
    const env: Record<string, string> = {
      SWITCHYARD_ROUTES: path.join(ws.dir, 'routes.csv'),
      SWITCHYARD_DATA: ws.data,
      SWITCHYARD_STATE: path.join(ws.dir, '.switchyard'),
      SWITCHYARD_LOG_LEVEL: 'silent',
    };
    if (yaml !== undefined) {
      await writeFile(path.join(ws.dir, 'switchyard.yaml'), yaml);
      env.SWITCHYARD_CONFIG = path.join(ws.dir, 'switchyard.yaml');
    }
    return env;
  }

  it('refuses to start when switchyard.yaml declares no project: undeclared ones are not local folders here', async () => {
    const env = await deployment(undefined);
    runtime = cloudRuntime(env, ws!.dir);
    const error = await runtime.get().then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(error?.code).toBe('E_REFERENTIAL_INVALID');
    expect(error?.message).toContain('E_PROJECT_UNDECLARED: project "source_bucket" is not declared');
    expect(error?.message).toContain('declares none');
    expect(error?.message).toContain('`source_bucket: { backend: fs }`');
    expect(await ws!.files()).toEqual([]);
  });

  it('names the undeclared project, with the declared one it is probably a typo of', async () => {
    const declared = TEST_PROJECTS.map((p) => (p === 'sales' ? 'salse' : p));
    const env = await deployment(folderProjectsYaml(declared));
    runtime = cloudRuntime(env, ws!.dir);
    const error = await runtime.get().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(
      /routes\.csv:3: destination_project: E_PROJECT_UNDECLARED: project "sales"/,
    );
    expect(error?.message).toContain('did you mean "salse"?');
  });

  it('routes between declared folder projects; an event naming an undeclared project is dead (not retried) and creates no folder', async () => {
    const env = await deployment(folderProjectsYaml(TEST_PROJECTS));
    await ws!.put('source_bucket/raw_data/finance_cloud.csv', CSV);
    runtime = cloudRuntime(env, ws!.dir);
    const routed = await handleLambdaEvent(await runtime.get(), {
      Records: [s3Record('raw_data', 'finance_cloud.csv')],
    });
    expect(routed).toMatchObject({ kind: 'ok', events: [{ outcome: 'routed' }] });
    expect(await ws!.exists('finance/raw_data/finance_cloud.csv')).toBe(true);
    await runtime.close();

    runtime = cloudRuntime({ ...env, SWITCHYARD_PROJECT: 'typo' }, ws!.dir);
    await ws!.put('source_bucket/raw_data/finance_typo.csv', CSV);
    const refused = await handleLambdaEvent(await runtime.get(), {
      Records: [s3Record('raw_data', 'finance_typo.csv')],
    });
    expect(refused).toMatchObject({
      kind: 'ok',
      events: [{ project: 'typo', outcome: 'dead', error: { code: 'E_PROJECT_UNDECLARED' } }],
    });
    expect((await ws!.files()).filter((f) => f.startsWith('typo/'))).toEqual([]);
    expect(await ws!.exists('source_bucket/raw_data/finance_typo.csv')).toBe(true);
  });

  it('refuses a declared folder project whose data root does not exist, naming the path', async () => {
    const env = await deployment(folderProjectsYaml(TEST_PROJECTS));
    await rm(ws!.data, { recursive: true });
    runtime = cloudRuntime(env, ws!.dir);
    await expect(runtime.get()).rejects.toMatchObject({
      code: 'E_CONFIG_INVALID',
      message: expect.stringContaining(`data root ${ws!.data}: does not exist`),
    });
    await expect(
      gcpDrainOptionsFromEnv({ ...env, SWITCHYARD_QUEUE: 'pubsub://projects/p/subscriptions/s' }, ws!.dir),
    ).rejects.toMatchObject({ code: 'E_CONFIG_INVALID', details: { path: ws!.data } });
  });

  it('needs no data root when every declared project is in a bucket', async () => {
    const env = await deployment(
      'projects:\n  lake: { backend: s3, region: eu-west-3 }\n  fin: { backend: gcs, projectId: p }\n',
    );
    await rm(ws!.data, { recursive: true });
    const options = await gcpDrainOptionsFromEnv(
      { ...env, SWITCHYARD_QUEUE: 'pubsub://projects/p/subscriptions/s' },
      ws!.dir,
    );
    expect(options.config.declaredOnly).toBe(true);
    expect(Object.keys(options.config.projects)).toEqual(['lake', 'fin']);
  });
});

function s3Record(bucket: string, key: string): Record<string, unknown> {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'eu-west-3',
    eventTime: new Date().toISOString(),
    eventName: 'ObjectCreated:Put',
    s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key), size: CSV.length } },
  };
}
