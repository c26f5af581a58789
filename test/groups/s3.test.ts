// Groups (complete_when) on S3 (fauxqs, a real S3 protocol server in a child
// process), through `scan --json` as users run it: members wait for their
// marker, then move whole with the marker last, and the complete group writes
// its `_MANIFEST-group-….json`; a manifest marker names the group, and
// `explain` says what the group waits for.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../helpers/workspace.js';
import {
  cloudWorkspace,
  s3Bucket,
  s3Get,
  s3Keys,
  s3Put,
  startCloud,
  type Cloud,
  type ScanJson,
} from '../integration/cloud-fixture.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,complete_when,write_manifest';

describe('groups on S3 (fauxqs)', () => {
  let cloud: Cloud;
  let ws: Workspace | undefined;

  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(async () => cloud?.stop());
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  it('S3 → S3: members wait (scan exits 0), then the marker moves the whole group', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(
      cloud,
      `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},in/{path},move,batch,^_SUCCESS$,true\n`,
    );
    await s3Put(cloud, landing, 'day1/a.csv', 'a');
    await s3Put(cloud, landing, 'day1/b.csv', 'b');
    await s3Put(cloud, landing, 'day1/deeper/c.csv', 'c');
    const first = await ws.run('scan', '--json');
    expect(first.code).toBe(0);
    const waiting = first.json<ScanJson & { waiting: number }>();
    expect(waiting).toMatchObject({ waiting: 3, failed: 0, routed: 0 });
    expect(await s3Keys(cloud, lake)).toEqual([]);

    const status = (await ws.run('status', '--json')).json<{ waitingGroups: number }>();
    expect(status.waitingGroups).toBe(2);

    await s3Put(cloud, landing, 'day1/_SUCCESS', '');
    const second = (await ws.run('scan', '--json')).json<ScanJson & { waiting: number }>();
    expect(second).toMatchObject({ failed: 0, waiting: 1 });
    const delivered = await s3Keys(cloud, lake);
    expect(delivered).toEqual([
      expect.stringMatching(/^in\/day1\/_MANIFEST-group-.*\.json$/),
      'in/day1/_SUCCESS',
      'in/day1/a.csv',
      'in/day1/b.csv',
    ]);
    expect(await s3Keys(cloud, landing)).toEqual(['day1/deeper/c.csv']);
    // the complete group's manifest lists its members, not its marker
    const manifest = JSON.parse(String(await s3Get(cloud, lake, delivered[0]!))) as {
      kind: string;
      files: Array<{ name: string; size: number }>;
    };
    expect(manifest.kind).toBe('group');
    expect(manifest.files.map((x) => [x.name, x.size])).toEqual([
      ['a.csv', 1],
      ['b.csv', 1],
    ]);
  });

  it('S3 → S3: a manifest marker makes the group exactly its list', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(
      cloud,
      `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},in,copy,batch,manifest\\.json$,false\n`,
    );
    await s3Put(cloud, landing, 'a.csv', 'a');
    await s3Put(cloud, landing, 'extra.csv', 'x');
    await s3Put(
      cloud,
      landing,
      'manifest.json',
      JSON.stringify({ files: [{ name: 'a.csv', size: 1 }, { name: 'b.csv' }] }),
    );
    expect((await ws.run('scan', '--json')).json<ScanJson>()).toMatchObject({ routed: 0, failed: 0 });
    expect(await s3Keys(cloud, lake)).toEqual([]);
    // explain lists the bucket's folder as the router does: the marker waits for b.csv
    const explained = (await ws.run('explain', `src/${landing}/manifest.json`, '--json')).json<{
      groups: unknown[];
    }>();
    expect(explained.groups).toMatchObject([
      { route: 'batch', role: 'marker', state: 'waiting', members: 1, missing: ['b.csv'] },
    ]);
    await s3Put(cloud, landing, 'b.csv', 'b');
    expect(
      (await ws.run('explain', `src/${landing}/a.csv`, '--json')).json<{ groups: unknown[] }>().groups,
    ).toMatchObject([{ role: 'member', state: 'complete', members: 2, markers: ['manifest.json'] }]);
    expect((await ws.run('scan', '--json')).json<ScanJson>()).toMatchObject({ failed: 0 });
    expect(await s3Keys(cloud, lake)).toEqual(['in/a.csv', 'in/b.csv', 'in/manifest.json']);
    expect(await s3Keys(cloud, landing)).toEqual(['a.csv', 'b.csv', 'extra.csv', 'manifest.json']);
    // extra.csv, which the manifest does not list, waits for a manifest that does, and shows
    const again = (await ws.run('scan', '--json')).json<ScanJson & { waiting: number }>();
    expect(again).toMatchObject({ routed: 0, failed: 0, waiting: 1 });
    const status = (await ws.run('status', '--json')).json<{ waiting: Array<{ members: number }> }>();
    expect(status.waiting).toMatchObject([{ members: 1 }]);
  });
});
