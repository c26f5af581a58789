import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteLedger } from '../../src/ledger/sqlite/ledger.js';
import { Workspace } from '../helpers/workspace.js';

interface ScanJson {
  routed: number;
  unrouted: number;
  failed: number;
  dead: number;
  deliveries: Array<{
    source: string;
    route: string;
    destination: string;
    state: string;
    error?: { code: string };
  }>;
}

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,route_id';

describe('routing features', () => {
  let ws: Workspace;
  afterEach(async () => ws?.remove());

  it('fans out to every matching row; copy keeps the source; a re-run after copy does nothing', async () => {
    ws = await Workspace.create(`${HEADER}
land,in,^sale_,sales,raw,,copy,fail,to-sales
land,in,\\.csv$,archive,all,csv,copy,fail,to-archive
`);
    await ws.put('land/in/sale_fr.csv', 'fr');
    const first = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(first).toMatchObject({ routed: 1, failed: 0 });
    expect(await ws.files()).toEqual([
      'archive/all/csv/sale_fr.csv',
      'land/in/sale_fr.csv',
      'sales/raw/sale_fr.csv',
    ]);

    const again = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(again).toMatchObject({ routed: 0, failed: 0 });
    expect(again.deliveries.every((d) => d.state === 'done')).toBe(true);
  });

  it('moves when any matching row says move, once every delivery is verified', async () => {
    ws = await Workspace.create(`${HEADER}
land,in,^sale_,sales,raw,,move,fail,to-sales
land,in,\\.csv$,archive,all,,copy,fail,to-archive
`);
    await ws.put('land/in/sale_fr.csv', 'fr');
    expect((await ws.run('scan', '--json')).json<ScanJson>()).toMatchObject({ routed: 1 });
    expect(await ws.files()).toEqual(['archive/all/sale_fr.csv', 'sales/raw/sale_fr.csv']);
  });

  it('expands date placeholders from the object time (UTC), name parts, {path} and named groups', async () => {
    ws = await Workspace.create(`${HEADER}
land,in,^sale_(?P<country>[a-z]{2})_,sales,raw,by-country/{country}/{yyyy}/{mm}/{dd}/{hh},move,fail,dated
land,in,^inv_,finance,raw,{path}/{stem}-{ext},move,fail,parts
`);
    const file = await ws.put('land/in/sale_fr_0001.csv', 'fr');
    const when = new Date('2024-03-05T07:30:00Z');
    await utimes(file, when, when);
    await ws.put('land/in/eu/2024/inv_1.json', '{}');
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 2, failed: 0 });
    const files = await ws.files();
    expect(files).toContain('finance/raw/eu/2024/inv_1-json/inv_1.json');
    // created = birth time where the filesystem reports one, else mtime: both are the object's, never the clock.
    const dated = files.find((f) => f.startsWith('sales/raw/by-country/fr/'));
    expect(dated).toMatch(/^sales\/raw\/by-country\/fr\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/sale_fr_0001\.csv$/);
  });

  it('explain shows matches and destinations from the name alone', async () => {
    ws = await Workspace.create(`${HEADER}
land,in,^sale_(?P<country>[a-z]{2})_,sales,raw,{country},move,fail,by-country
`);
    const hit = await ws.run('explain', '--json', 'land/in/sale_de_1.csv');
    expect(hit.code).toBe(0);
    expect(hit.json()).toMatchObject({
      matches: [{ route: 'by-country', destination: 'sales/raw/de/sale_de_1.csv' }],
    });
    const miss = await ws.run('explain', '--json', 'land/in/other.csv');
    expect(miss.code).toBe(0);
    expect(miss.json()).toMatchObject({ matches: [] });
  });
});

describe('destination conflicts', () => {
  let ws: Workspace;
  afterEach(async () => ws?.remove());

  const routes = (policy: string) => `${HEADER}
land,a,\\.csv$,out,raw,,move,${policy},from-a
land,b,\\.csv$,out,raw,,move,${policy},from-b
`;

  it('fail: the second file with the same key is dead-lettered and its source kept', async () => {
    ws = await Workspace.create(routes('fail'));
    await ws.put('land/a/r.csv', 'first');
    await ws.put('land/b/r.csv', 'second');
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 1, failed: 1, dead: 1 });
    const dead = report.deliveries.find((d) => d.state === 'dead');
    expect(dead?.error?.code).toBe('E_CONFLICT');
    expect((await ws.read('out/raw/r.csv')).toString()).toMatch(/^(first|second)$/);
    const kept = dead?.source.startsWith('land/a/') ? 'land/a/r.csv' : 'land/b/r.csv';
    expect(await ws.exists(kept)).toBe(true);
    const status = (await ws.run('status', '--json')).json<{ deliveries: Record<string, number> }>();
    expect(status.deliveries.dead).toBe(1);
  });

  it('overwrite: the second file replaces the first', async () => {
    ws = await Workspace.create(routes('overwrite'));
    await ws.put('land/a/r.csv', 'first');
    await ws.run('scan');
    await ws.put('land/b/r.csv', 'second');
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 1, failed: 0 });
    expect((await ws.read('out/raw/r.csv')).toString()).toBe('second');
    expect(await ws.files()).toEqual(['out/raw/r.csv']);
  });

  it('version: the second file gets a generation suffix before its extension', async () => {
    ws = await Workspace.create(routes('version'));
    await ws.put('land/a/r.csv', 'first');
    await ws.run('scan');
    await ws.put('land/b/r.csv', 'second');
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 1, failed: 0 });
    const files = await ws.files();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^out\/raw\/r\.[A-Za-z0-9_-]+\.csv$/);
    expect((await ws.read(files[0]!)).toString()).toBe('second');
    expect((await ws.read('out/raw/r.csv')).toString()).toBe('first');
    // the ledger records where the bytes went, not where they were planned to go
    const store = await openSqliteLedger(path.join(ws.dir, '.switchyard', 'ledger.db'));
    try {
      const { items } = await store.reports.query({ states: ['done'] });
      const destinations = items.map(
        (d) => `${d.destination.project}/${d.destination.bucket}/${d.destination.key}`,
      );
      expect(destinations.sort()).toEqual(['out/raw/r.csv', files[0]].sort());
    } finally {
      await store.close();
    }
  });

  it('identical bytes already at the destination count as delivered under any policy', async () => {
    ws = await Workspace.create(routes('fail'));
    await ws.put('out/raw/r.csv', 'same');
    await ws.put('land/a/r.csv', 'same');
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 1, failed: 0 });
    expect(await ws.files()).toEqual(['out/raw/r.csv']);
  });
});

describe('validate', () => {
  let ws: Workspace;
  afterEach(async () => ws?.remove());

  it('reports each problem as FILE:LINE: column: message and exits 1', async () => {
    ws =
      await Workspace.create(`source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
land,in,finance(,finance,raw,
land,in,,finance,raw,
land,in,^a,finance,raw,../up
land,in,^b,finance,raw,{nope}
`);
    const run = await ws.run('validate');
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    const file = `${ws.dir}/routes.csv`;
    expect(lines.some((l) => l.startsWith(`${file}:2: source_file_mask: `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}:3: source_file_mask: `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}:4: destination_directory: `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}:5: destination_directory: `) && l.includes('nope'))).toBe(
      true,
    );
  });

  it('reports a missing column', async () => {
    ws =
      await Workspace.create(`source_project,source_bucket,source_file_mask,destination_project,destination_bucket
land,in,^a,finance,raw
`);
    const run = await ws.run('validate', '--json');
    expect(run.code).toBe(1);
    const out = run.json<{ errors: Array<{ line: number; column: string }> }>();
    expect(out.errors).toContainEqual(expect.objectContaining({ line: 1, column: 'destination_directory' }));
  });
});
