// `explain` on a group row (complete_when), on local folders: a member says it
// would wait and for what, a marker says it goes last, and once the folder
// holds a marker (and whatever a manifest names) the group is complete.
import { afterEach, describe, expect, it } from 'vitest';
import type { ExplainResult } from '../../src/router/explain.js';
import { Workspace } from '../helpers/workspace.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,complete_when,group_timeout';

describe('explain on a group row (local folders)', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  const explain = async (location: string) => {
    const run = await ws!.run('explain', location, '--json');
    expect(run.code, run.stderr).toBe(0);
    return run.json<ExplainResult>();
  };

  it('a member waits for its marker, the marker goes last, then the group is complete', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.csv$,wh,raw,{path},move,batch,^_SUCCESS$,2h\n`);
    await ws.put('land/in/day1/a.csv', 'a');
    await ws.put('land/in/day1/b.csv', 'b');
    await ws.put('land/in/day2/c.csv', 'c');

    const member = await explain('land/in/day1/a.csv');
    expect(member.matches.map((m) => m.destination)).toEqual(['wh/raw/day1/a.csv']);
    expect(member.groups).toEqual([
      {
        route: 'batch',
        role: 'member',
        completeWhen: '^_SUCCESS$',
        timeoutMs: 2 * 3600 * 1000,
        state: 'waiting',
        members: 2,
        markers: [],
        missing: [],
        unlisted: false,
      },
    ]);
    const text = await ws.run('explain', 'land/in/day1/a.csv');
    expect(text.stdout).toContain('wh/raw/day1/a.csv');
    expect(text.stdout).toContain('batch: this file travels with its folder');
    expect(text.stdout).toContain(
      'it would wait (outcome waiting): no marker is in the folder yet; 2 member(s)',
    );

    // a marker no row routes as a file is not "unrouted": it belongs to the group
    const early = await explain('land/in/day1/_SUCCESS');
    expect(early.matches).toEqual([]);
    expect(early.groups).toMatchObject([{ route: 'batch', role: 'marker', state: 'waiting', members: 2 }]);
    const earlyText = await ws.run('explain', 'land/in/day1/_SUCCESS');
    expect(earlyText.stdout).not.toContain('unrouted');
    expect(earlyText.stdout).toContain('this file is a marker (complete_when ^_SUCCESS$): it goes last');

    await ws.put('land/in/day1/_SUCCESS', '');
    const complete = await explain('land/in/day1/b.csv');
    expect(complete.groups).toMatchObject([{ state: 'complete', members: 2, markers: ['_SUCCESS'] }]);
    expect((await ws.run('explain', 'land/in/day1/b.csv')).stdout).toContain(
      'the group is complete (_SUCCESS; 2 member(s)): it would be delivered now',
    );
    // another folder is another group, still waiting
    expect((await explain('land/in/day2/c.csv')).groups).toMatchObject([{ state: 'waiting', members: 1 }]);
    // explain moves nothing
    expect(await ws.files()).toEqual([
      'land/in/day1/_SUCCESS',
      'land/in/day1/a.csv',
      'land/in/day1/b.csv',
      'land/in/day2/c.csv',
    ]);
  });

  it('a manifest marker names what is missing; a file no group row matches has no group', async () => {
    ws = await Workspace.create(
      `${HEADER}\nland,in,\\.csv$,wh,raw,,copy,batch,manifest\\.json$,\nland,in,\\.txt$,wh,notes,,copy,notes,,\n`,
    );
    await ws.put('land/in/a.csv', 'a');
    await ws.put('land/in/manifest.json', JSON.stringify({ files: [{ name: 'a.csv' }, { name: 'b.csv' }] }));
    const marker = await explain('land/in/manifest.json');
    expect(marker.groups).toMatchObject([
      { role: 'marker', state: 'waiting', missing: ['b.csv'], members: 1 },
    ]);
    expect((await ws.run('explain', 'land/in/manifest.json')).stdout).toContain(
      'the manifest names 1 file(s) not there as named: b.csv',
    );
    expect((await explain('land/in/x.txt')).groups).toEqual([]);
    // once b.csv is there the group is complete, but a file it does not list waits for a manifest that does
    await ws.put('land/in/b.csv', 'b');
    await ws.put('land/in/extra.csv', 'x');
    expect((await explain('land/in/a.csv')).groups).toMatchObject([{ state: 'complete', unlisted: false }]);
    expect((await explain('land/in/extra.csv')).groups).toMatchObject([
      { role: 'member', state: 'waiting', unlisted: true, members: 2 },
    ]);
    expect((await ws.run('explain', 'land/in/extra.csv')).stdout).toContain(
      'it would wait (outcome waiting): no manifest in the folder lists it (manifest.json)',
    );
  });
});
