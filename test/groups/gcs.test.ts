// Groups (complete_when) on GCS, through the Cloud Storage JSON API test
// double (test/doubles/gcs-json-api-double.ts) and `scan --json` as users run
// it: members wait for their folder's marker (scan exits 0, nothing at the
// destination), then the marker moves its folder's group whole, the marker
// included, while another folder of the same row keeps waiting; a manifest
// marker makes the group exactly its list, and a listed member missing keeps
// the group waiting.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGcsJsonApiDouble, type GcsJsonApiDouble } from '../doubles/gcs-json-api-double.js';
import { Workspace } from '../helpers/workspace.js';
import type { ScanJson } from '../integration/cloud-fixture.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,complete_when';

type GroupScan = ScanJson & { waiting: number };
type Status = {
  waitingGroups: number;
  waiting: Array<{ folder: string; routeId: string; members: number }>;
};

describe('groups on GCS (JSON API double)', () => {
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

  const bucket = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

  /** A workspace whose switchyard.yaml puts `fin` and `arch` on the double. */
  async function workspace(routes: string): Promise<Workspace> {
    const w = await Workspace.create(routes);
    const project = (name: string) =>
      `  ${name}:\n    backend: gcs\n    projectId: p\n    apiEndpoint: "${gcs.endpoint}"\n`;
    await writeFile(path.join(w.dir, 'switchyard.yaml'), `projects:\n${project('fin')}${project('arch')}`);
    return w;
  }

  /** Every object name of a bucket, sorted, as the JSON API lists them (objects.list). */
  async function names(name: string): Promise<string[]> {
    const answer = await fetch(`${gcs.endpoint}/storage/v1/b/${encodeURIComponent(name)}/o`);
    expect(answer.status).toBe(200);
    const json = (await answer.json()) as { items: Array<{ name: string }>; nextPageToken?: string };
    expect(json.nextPageToken).toBeUndefined();
    return json.items.map((o) => o.name).sort();
  }

  const put = (b: string, key: string, body: string) => gcs.put(b, key, Buffer.from(body));

  async function scanJson(): Promise<GroupScan> {
    const run = await ws!.run('scan', '--json');
    expect(run.code, run.stderr).toBe(0);
    return run.json<GroupScan>();
  }

  it('members wait for their folder’s marker; the marker moves that folder whole, the other folder still waits', async () => {
    const landing = bucket('landing');
    const lake = bucket('lake');
    ws = await workspace(`${HEADER}\nfin,${landing},\\.csv$,arch,${lake},in/{path},move,batch,^_SUCCESS$\n`);
    put(landing, 'day1/a.csv', 'a');
    put(landing, 'day1/b.csv', 'bb');
    put(landing, 'day2/c.csv', 'ccc');

    const first = await scanJson();
    expect(first).toMatchObject({ waiting: 3, routed: 0, failed: 0, dead: 0 });
    expect(first.outcomes).toEqual({ waiting: 3 });
    expect(await names(lake)).toEqual([]);
    expect(await names(landing)).toEqual(['day1/a.csv', 'day1/b.csv', 'day2/c.csv']);
    const waiting = (await ws.run('status', '--json')).json<Status>();
    expect(waiting.waitingGroups).toBe(2);
    expect(waiting.waiting.map((g) => [g.folder, g.routeId, g.members]).sort()).toEqual([
      [`fin/${landing}/day1`, 'batch', 2],
      [`fin/${landing}/day2`, 'batch', 1],
    ]);

    // a scan again changes nothing while no marker landed
    expect(await scanJson()).toMatchObject({ waiting: 3, routed: 0, failed: 0 });
    expect(await names(lake)).toEqual([]);

    put(landing, 'day1/_SUCCESS', '');
    const second = await scanJson();
    expect(second).toMatchObject({ routed: 3, failed: 0, dead: 0, waiting: 1 });
    expect(second.outcomes).toEqual({ routed: 3, waiting: 1 });
    expect(
      second.deliveries.map((d) => [d.source, d.route, d.destination, d.state, d.action]).sort(),
    ).toEqual([
      [`fin/${landing}/day1/_SUCCESS`, 'batch#marker', `arch/${lake}/in/day1/_SUCCESS`, 'done', 'move'],
      [`fin/${landing}/day1/a.csv`, 'batch', `arch/${lake}/in/day1/a.csv`, 'done', 'move'],
      [`fin/${landing}/day1/b.csv`, 'batch', `arch/${lake}/in/day1/b.csv`, 'done', 'move'],
    ]);
    expect(await names(lake)).toEqual(['in/day1/_SUCCESS', 'in/day1/a.csv', 'in/day1/b.csv']);
    const a = gcs.get(lake, 'in/day1/a.csv')!;
    const b = gcs.get(lake, 'in/day1/b.csv')!;
    const marker = gcs.get(lake, 'in/day1/_SUCCESS')!;
    expect([a.body.toString(), b.body.toString(), marker.body.length]).toEqual(['a', 'bb', 0]);
    // the marker was written last: the double numbers generations in commit order
    expect(BigInt(marker.generation)).toBeGreaterThan(BigInt(a.generation));
    expect(BigInt(marker.generation)).toBeGreaterThan(BigInt(b.generation));
    // move: day1's members and marker are gone from the landing bucket; day2 is untouched
    expect(await names(landing)).toEqual(['day2/c.csv']);
    const after = (await ws.run('status', '--json')).json<Status>();
    expect(after.waiting.map((g) => [g.folder, g.members])).toEqual([[`fin/${landing}/day2`, 1]]);

    // a third scan delivers nothing more
    expect(await scanJson()).toMatchObject({ routed: 0, failed: 0, waiting: 1 });
    expect(await names(lake)).toEqual(['in/day1/_SUCCESS', 'in/day1/a.csv', 'in/day1/b.csv']);
  });

  it('a manifest marker makes the group exactly its list; a listed member missing keeps it waiting', async () => {
    const landing = bucket('landing');
    const lake = bucket('lake');
    ws = await workspace(`${HEADER}\nfin,${landing},\\.csv$,arch,${lake},in,move,batch,manifest\\.json$\n`);
    put(landing, 'd/a.csv', 'a');
    put(landing, 'd/extra.csv', 'not listed');
    put(landing, 'd/manifest.json', JSON.stringify({ files: [{ name: 'a.csv' }, { name: 'b.csv' }] }));

    const early = await scanJson();
    expect(early).toMatchObject({ routed: 0, failed: 0, dead: 0 });
    expect(early.waiting).toBeGreaterThanOrEqual(2); // a.csv and the marker, at least
    expect(early.deliveries).toEqual([]);
    expect(await names(lake)).toEqual([]);
    expect(await names(landing)).toEqual(['d/a.csv', 'd/extra.csv', 'd/manifest.json']);

    put(landing, 'd/b.csv', 'bb');
    const done = await scanJson();
    expect(done).toMatchObject({ routed: 3, failed: 0, dead: 0 });
    expect(done.deliveries.map((d) => [d.source, d.route, d.destination]).sort()).toEqual([
      [`fin/${landing}/d/a.csv`, 'batch', `arch/${lake}/in/a.csv`],
      [`fin/${landing}/d/b.csv`, 'batch', `arch/${lake}/in/b.csv`],
      [`fin/${landing}/d/manifest.json`, 'batch#marker', `arch/${lake}/in/manifest.json`],
    ]);
    expect(await names(lake)).toEqual(['in/a.csv', 'in/b.csv', 'in/manifest.json']);
    // the file the manifest does not list is no member: neither delivered nor deleted
    expect(await names(landing)).toEqual(['d/extra.csv']);
  });
});
