// A data root that does not exist is a configuration error (exit 2) for every
// command that reads or writes local folders: `scan --data wrong/path` used
// to print `routed 0` and exit 0. It is checked only when local folders are in
// use: a config whose projects are all in buckets needs no data root.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/workspace.js';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
landing,inbox,\\.csv$,finance,raw,
`;

const BUCKETS_ONLY = `projects:
  landing: { backend: s3, region: eu-west-3, endpoint: "http://127.0.0.1:9", forcePathStyle: true }
  finance: { backend: gcs, projectId: p, apiEndpoint: "http://127.0.0.1:9" }
`;

describe('the data root', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  const commands: Array<[string, string[]]> = [
    ['scan', ['scan']],
    ['batch', ['batch']],
    ['worker', ['worker', '--idle-exit', '1s']],
    ['status', ['status']],
    ['explain', ['explain', 'landing/inbox/a.csv']],
    ['enqueue', ['enqueue', 'landing/inbox/a.csv']],
  ];

  for (const [name, args] of commands) {
    it(`${name} --data wrong/path exits 2 naming the folder, touching nothing`, async () => {
      ws = await Workspace.create(ROUTES);
      const run = await ws.run(...args, '--data', 'wrong/path');
      expect(run.code, run.stdout).toBe(2);
      expect(run.stderr).toContain(`data root ${path.join(ws.dir, 'wrong/path')}: does not exist`);
      expect(run.stderr).toContain('(E_CONFIG_INVALID)');
      expect(run.stdout).not.toMatch(/routed/);
    });
  }

  it('the default ./data too, and --json says so as JSON', async () => {
    ws = await Workspace.create(ROUTES);
    await rm(ws.data, { recursive: true });
    const run = await ws.run('scan', '--json');
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({
      error: { code: 'E_CONFIG_INVALID', details: { path: ws.data, option: 'data' } },
    });
  });

  it('a data root that is a file is not a folder', async () => {
    ws = await Workspace.create(ROUTES);
    await writeFile(path.join(ws.dir, 'file'), 'x');
    const run = await ws.run('scan', '--data', 'file');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`data root ${path.join(ws.dir, 'file')}: not a folder`);
  });

  it('validate reports it as a problem at the `data` key of switchyard.yaml', async () => {
    ws = await Workspace.create(ROUTES);
    await writeFile(path.join(ws.dir, 'switchyard.yaml'), 'concurrency: 4\ndata: wrong/path\n');
    const run = await ws.run('validate', '--json');
    expect(run.code).toBe(1);
    expect(run.json<{ errors: unknown[] }>().errors).toEqual([
      expect.objectContaining({
        file: path.join(ws.dir, 'switchyard.yaml'),
        line: 2,
        column: 'data',
        message: expect.stringContaining(`data root ${path.join(ws.dir, 'wrong/path')}: does not exist`),
      }),
    ]);
  });

  it("an fs project's own root must exist too: named with its project and key", async () => {
    ws = await Workspace.create(ROUTES);
    await writeFile(
      path.join(ws.dir, 'switchyard.yaml'),
      'projects:\n  landing: { backend: fs }\n  finance:\n    backend: fs\n    root: /nonexistent/archive\n',
    );
    const scan = await ws.run('scan');
    expect(scan.code).toBe(2);
    expect(scan.stderr).toContain('project `finance`, key `root`: /nonexistent/archive: does not exist');
    const validate = await ws.run('validate', '--json');
    expect(validate.json<{ errors: unknown[] }>().errors).toEqual([
      expect.objectContaining({ line: 5, column: 'projects.finance.root' }),
    ]);
  });

  it('is not needed when every project is in a bucket', async () => {
    ws = await Workspace.create(ROUTES);
    await writeFile(path.join(ws.dir, 'switchyard.yaml'), BUCKETS_ONLY);
    await rm(ws.data, { recursive: true });
    const explain = await ws.run('explain', 'landing/inbox/a.csv');
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toContain('finance/raw/a.csv');
    const status = await ws.run('status', '--data', 'wrong/path');
    expect(status.code, status.stderr).toBe(0);
  });

  it('dead-letters never touches local folders and does not need one', async () => {
    ws = await Workspace.create(ROUTES);
    const run = await ws.run('dead-letters', 'list', '--data', 'wrong/path');
    expect(run.code, run.stderr).toBe(0);
  });
});
