// Once switchyard.yaml declares projects, a project it does not declare is an
// error everywhere: a typo used to become a local folder under the data root,
// and a move then deleted the source into it.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ProjectUndeclaredError } from '../../src/model/errors.js';
import { StoreRegistry } from '../../src/storage/registry.js';
import { Workspace } from '../helpers/workspace.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory';

/** Two folder projects, one line each: `backend: fs` without `root` is the data root. */
const YAML = `projects:
  landing: { backend: fs }
  finance: { backend: fs }
`;

interface ValidateJson {
  ok: boolean;
  errors: Array<{ file: string; line: number; column: string; message: string }>;
}

describe('declared projects', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  async function workspace(routes: string, yaml = YAML): Promise<Workspace> {
    ws = await Workspace.create(`${HEADER}\n${routes}`);
    await writeFile(path.join(ws.dir, 'switchyard.yaml'), yaml);
    return ws;
  }

  it('`backend: fs` without root is a folder under the data root: scan routes there', async () => {
    const w = await workspace('landing,inbox,\\.csv$,finance,raw,in\n');
    await w.put('landing/inbox/a.csv', 'a\n');
    const run = await w.run('scan', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ routed: 1 });
    expect(await w.files()).toEqual(['finance/raw/in/a.csv']);
    const config = await loadConfig({}, {}, w.dir);
    expect(config.projects.finance).toEqual({ backend: 'fs', root: w.data });
    expect(config.declaredOnly).toBe(true);
  });

  it('validate reports each undeclared project at its row and column, with a did-you-mean', async () => {
    const w = await workspace(
      'landing,inbox,\\.csv$,finanse,raw,\nlandng,inbox,\\.txt$,finance,raw,\nlanding,inbox,\\.json$,sales,raw,\n',
    );
    const run = await w.run('validate', '--json');
    expect(run.code).toBe(1);
    const { ok, errors } = run.json<ValidateJson>();
    expect(ok).toBe(false);
    const routes = path.join(w.dir, 'routes.csv');
    expect(errors.map((e) => [e.file, e.line, e.column])).toEqual([
      [routes, 2, 'destination_project'],
      [routes, 3, 'source_project'],
      [routes, 4, 'destination_project'],
    ]);
    expect(errors[0]?.message).toBe(
      'E_PROJECT_UNDECLARED: project "finanse" is not declared: expected one of the projects switchyard.yaml declares (landing, finance); ' +
        'did you mean "finance"? (a local folder under the data root is declared as `finanse: { backend: fs }`)',
    );
    expect(errors[1]?.message).toContain('did you mean "landing"?');
    expect(errors[2]?.message).not.toContain('did you mean');
    const text = await w.run('validate');
    expect(text.stdout).toContain(
      `${routes}:2: destination_project: E_PROJECT_UNDECLARED: project "finanse"`,
    );
  });

  it('scan refuses to start, moving nothing and creating no folder for the typo', async () => {
    const w = await workspace('landing,inbox,\\.csv$,finanse,raw,\n');
    await w.put('landing/inbox/a.csv', 'a\n');
    const run = await w.run('scan');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('E_PROJECT_UNDECLARED: project "finanse" is not declared');
    expect(await w.files()).toEqual(['landing/inbox/a.csv']);
  });

  it('explain and enqueue refuse a location in an undeclared project (exit 2)', async () => {
    const w = await workspace('landing,inbox,\\.csv$,finance,raw,\n');
    const explain = await w.run('explain', 'landng/inbox/a.csv');
    expect(explain.code).toBe(2);
    expect(explain.stderr).toContain('project "landng" is not declared');
    for (const stat of [[], ['--no-stat']]) {
      const enqueue = await w.run('enqueue', ...stat, 'landng/inbox/a.csv');
      expect(enqueue.code).toBe(2);
      expect(enqueue.stderr).toContain('(E_PROJECT_UNDECLARED)');
    }
    expect(await w.files()).toEqual([]);
    const good = await w.run('explain', 'landing/inbox/a.csv');
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('finance/raw/a.csv');
  });

  it('without declared projects, any project is still a local folder under the data root', async () => {
    const w = await workspace('landing,inbox,\\.csv$,elsewhere,raw,\n', 'concurrency: 4\n');
    await w.put('landing/inbox/a.csv', 'a\n');
    const run = await w.run('scan', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(await w.files()).toEqual(['elsewhere/raw/a.csv']);
  });
});

describe('StoreRegistry', () => {
  it('never builds a local folder store for an undeclared project once projects are declared', async () => {
    const declared = new StoreRegistry({ dataRoot: '/nonexistent', projects: { a: { backend: 'memory' } } });
    expect(() => declared.configFor('b')).toThrow(ProjectUndeclaredError);
    await expect(declared.storeFor('b')).rejects.toMatchObject({
      code: 'E_PROJECT_UNDECLARED',
      details: { project: 'b', declared: ['a'] },
    });
    const cloud = new StoreRegistry({ dataRoot: '/nonexistent', declaredOnly: true });
    expect(() => cloud.configFor('a')).toThrow(
      /project "a" is not declared: expected a project switchyard\.yaml declares, and it declares none/,
    );
    const local = new StoreRegistry({ dataRoot: '/data' });
    expect(local.configFor('a')).toEqual({ backend: 'fs', root: '/data' });
  });
});
