// gs://BUCKET/KEY and s3://BUCKET/KEY wherever PROJECT/BUCKET/KEY is taken
// (explain, enqueue): the bucket's project is found by its backend and the
// referential's buckets; an unknown or ambiguous bucket is a clear error.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../src/queue/url.js';
import { resolveLocation } from '../../src/referential/uri-location.js';
import type { Route } from '../../src/referential/types.js';
import { startGcsJsonApiDouble, type GcsJsonApiDouble } from '../doubles/gcs-json-api-double.js';
import { Workspace } from '../helpers/workspace.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory';

function routes(...rows: Array<[string, string, string, string]>): { routes: Route[] } {
  return {
    routes: rows.map(
      ([sourceProject, sourceBucket, destinationProject, destinationBucket]) =>
        ({ sourceProject, sourceBucket, destinationProject, destinationBucket }) as Route,
    ),
  };
}

describe('resolveLocation', () => {
  const projects = {
    lake: { backend: 'gcs' as const },
    lake2: { backend: 'gcs' as const },
    aws: { backend: 's3' as const },
    local: { backend: 'fs' as const },
  };
  const referential = routes(
    ['lake', 'landing', 'aws', 'archive'],
    ['lake2', 'shared', 'lake', 'shared'],
    ['local', 'inbox', 'lake2', 'exports'],
  );

  it('maps gs:// to the gcs project and s3:// to the s3 project whose rows name the bucket', () => {
    expect(resolveLocation('gs://landing/in/a.csv', referential, projects)).toEqual({
      project: 'lake',
      bucket: 'landing',
      key: 'in/a.csv',
    });
    expect(resolveLocation('s3://archive/a.csv', referential, projects)).toEqual({
      project: 'aws',
      bucket: 'archive',
      key: 'a.csv',
    });
    // a destination bucket counts too
    expect(resolveLocation('gs://exports/x', referential, projects).project).toBe('lake2');
  });

  it('keeps PROJECT/BUCKET/KEY as it is', () => {
    expect(resolveLocation('local/inbox/a.csv', referential, projects)).toEqual({
      project: 'local',
      bucket: 'inbox',
      key: 'a.csv',
    });
  });

  it('refuses a bucket of several projects, naming them', () => {
    expect(() => resolveLocation('gs://shared/a.csv', referential, projects)).toThrow(
      expect.objectContaining({
        code: 'E_BUCKET_AMBIGUOUS',
        message: expect.stringContaining('bucket "shared" is in several gcs projects (lake, lake2)'),
        details: expect.objectContaining({ location: 'gs://shared/a.csv', candidates: ['lake', 'lake2'] }),
      }),
    );
  });

  it('refuses a bucket no project of that backend has, or a URI without a key', () => {
    expect(() => resolveLocation('gs://nowhere/a.csv', referential, projects)).toThrow(
      expect.objectContaining({
        code: 'E_BUCKET_UNKNOWN',
        message: expect.stringContaining('no gcs project'),
      }),
    );
    // named by the referential, but in an s3 project: not a gs:// bucket
    expect(() => resolveLocation('gs://archive/a.csv', referential, projects)).toThrow(
      expect.objectContaining({
        code: 'E_BUCKET_UNKNOWN',
        message: expect.stringContaining('rows name it in aws, not a gcs project'),
      }),
    );
    expect(() => resolveLocation('gs://landing/', referential, projects)).toThrow(
      expect.objectContaining({ code: 'E_KEY_UNSAFE' }),
    );
  });
});

describe('gs:// and s3:// on the command line', () => {
  let gcs: GcsJsonApiDouble;
  let ws: Workspace | undefined;
  beforeAll(async () => {
    gcs = await startGcsJsonApiDouble();
  });
  afterAll(async () => gcs?.stop());
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  async function workspace(): Promise<Workspace> {
    const w = await Workspace.create(
      `${HEADER}\nlake,landing-x1,\\.csv$,archive,raw,\nother,landing-x2,\\.csv$,archive,raw,\n`,
    );
    const gcsProject = (name: string) =>
      `  ${name}:\n    backend: gcs\n    projectId: p\n    apiEndpoint: "${gcs.endpoint}"\n`;
    await writeFile(
      path.join(w.dir, 'switchyard.yaml'),
      `projects:\n${gcsProject('lake')}${gcsProject('other')}  archive: { backend: fs }\n`,
    );
    return w;
  }

  it('explain gs://BUCKET/KEY looks at the object in its project', async () => {
    ws = await workspace();
    gcs.put('landing-x1', 'in/a.csv', Buffer.from('a\n'));
    const run = await ws.run('explain', 'gs://landing-x1/in/a.csv', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({
      source: 'lake/landing-x1/in/a.csv',
      exists: true,
      matches: [expect.objectContaining({ destination: 'archive/raw/a.csv' })],
    });
  });

  it('enqueue gs://BUCKET/KEY queues the event under its project', async () => {
    ws = await workspace();
    const run = await ws.run(
      'enqueue',
      '--no-stat',
      '--json',
      'gs://landing-x2/b.csv',
      'lake/landing-x1/c.csv',
    );
    expect(run.code, run.stderr).toBe(0);
    const queue = await openQueue(`sqlite:${path.join(ws.dir, '.switchyard', 'queue.db')}`, {
      stateDir: ws.dir,
    });
    try {
      const pulled = await queue.pull(10, 10_000);
      expect(pulled.map((m) => `${m.event.project}/${m.event.bucket}/${m.event.key}`).sort()).toEqual([
        'lake/landing-x1/c.csv',
        'other/landing-x2/b.csv',
      ]);
    } finally {
      await queue.close();
    }
  });

  it('an unknown bucket is an error naming it, and nothing is queued', async () => {
    ws = await workspace();
    const run = await ws.run('enqueue', 'gs://landing-x3/b.csv');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'gs://landing-x3/b.csv: no gcs project of switchyard.yaml has bucket "landing-x3"',
    );
    const explain = await ws.run('explain', 's3://landing-x1/b.csv');
    expect(explain.stderr).toContain('no s3 project of switchyard.yaml has bucket "landing-x1"');
  });
});
