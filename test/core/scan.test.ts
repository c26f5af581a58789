import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SEED_CSV, Workspace } from '../helpers/workspace.js';

interface ScanJson {
  routed: number;
  unrouted: number;
  failed: number;
  deliveries: Array<{ source: string; route: string; destination: string; state: string }>;
}

describe('scan on local folders + SQLite (the seed referential)', () => {
  let ws: Workspace;
  afterEach(async () => ws?.remove());

  it('routes finance and sale files, keeps unrouted ones, and a second scan routes nothing', async () => {
    ws = await Workspace.create();
    const landed: Record<string, string> = {
      'finance_2024-01.csv': 'a,b\n1,2\n',
      'emea/q1/finance report 2024.csv': 'sub,folder\n',
      'sale_fr.csv': 'country,units\nfr,42\n',
      'sales by region/sale us.csv': 'us,7\n',
      'empty_finance.csv': '',
      'notes.txt': 'no row matches',
    };
    for (const [key, content] of Object.entries(landed))
      await ws.put(`source_bucket/raw_data/${key}`, content);

    const first = await ws.run('scan', '--json');
    expect(first.code, first.stderr).toBe(0);
    const report = first.json<ScanJson>();
    expect(report).toMatchObject({ routed: 5, unrouted: 1, failed: 0 });

    expect(await ws.read('finance/raw_data/finance_2024-01.csv')).toEqual(
      Buffer.from(landed['finance_2024-01.csv']!),
    );
    expect(await ws.read('finance/raw_data/finance report 2024.csv')).toEqual(Buffer.from('sub,folder\n'));
    expect(await ws.read('finance/raw_data/empty_finance.csv')).toEqual(Buffer.alloc(0));
    expect(await ws.read('sales/raw_data/sale_fr.csv')).toEqual(Buffer.from(landed['sale_fr.csv']!));
    expect(await ws.read('sales/raw_data/sale us.csv')).toEqual(Buffer.from('us,7\n'));
    expect(await ws.files()).toEqual([
      'finance/raw_data/empty_finance.csv',
      'finance/raw_data/finance report 2024.csv',
      'finance/raw_data/finance_2024-01.csv',
      'sales/raw_data/sale us.csv',
      'sales/raw_data/sale_fr.csv',
      'source_bucket/raw_data/notes.txt',
    ]);

    const second = await ws.run('scan', '--json');
    expect(second.code).toBe(0);
    expect(second.json<ScanJson>()).toMatchObject({ routed: 0, unrouted: 1, failed: 0 });
    expect((await ws.files()).length).toBe(6);
  });

  it('a file unrouted until its row is added is no longer reported unrouted once routed', async () => {
    ws = await Workspace.create();
    await ws.put('source_bucket/raw_data/notes.txt', 'no row yet');
    expect((await ws.run('scan', '--json')).json<ScanJson>()).toMatchObject({ unrouted: 1 });
    expect((await ws.run('status', '--json')).json()).toMatchObject({ unrouted: 1 });
    await writeFile(
      path.join(ws.dir, 'routes.csv'),
      `${SEED_CSV}source_bucket,raw_data,notes\\.txt$,archive,raw_data,\n`,
    );
    expect((await ws.run('scan', '--json')).json<ScanJson>()).toMatchObject({ routed: 1, unrouted: 0 });
    const status = (await ws.run('status', '--json')).json<{ unrouted: number; recentUnrouted: unknown[] }>();
    expect(status).toMatchObject({ unrouted: 0, recentUnrouted: [] });
    expect(await ws.files()).toEqual(['archive/raw_data/notes.txt']);
  });

  it('a file unrouted then deleted by hand leaves the unrouted list at the next whole scan, not a partial one', async () => {
    ws = await Workspace.create();
    await ws.put('source_bucket/raw_data/notes.txt', 'no row');
    await ws.put('source_bucket/raw_data/keep.txt', 'no row either');
    expect((await ws.run('scan', '--json')).json<ScanJson>()).toMatchObject({ unrouted: 2 });
    await rm(ws.file('source_bucket/raw_data/notes.txt'));
    type Status = { unrouted: number; recentUnrouted: Array<{ source: string }> };
    // a scan that lists part of the bucket cannot tell a deleted file from one outside its part
    for (const partial of [['--prefix', 'keep'], ['--min-age', '1h'], ['--dry-run']]) {
      expect((await ws.run('scan', '--json', ...partial)).code).toBe(0);
      expect((await ws.run('status', '--json')).json<Status>().unrouted).toBe(2);
    }
    expect((await ws.run('scan', '--json')).json<ScanJson>()).toMatchObject({ unrouted: 1 });
    const status = (await ws.run('status', '--json')).json<Status>();
    expect(status.unrouted).toBe(1);
    expect(status.recentUnrouted.map((u) => u.source)).toEqual(['source_bucket/raw_data/keep.txt']);
  });

  it('counts a file with several deliveries once, and plans nothing under --dry-run', async () => {
    ws =
      await Workspace.create(`source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
landing,in,\\.csv$,finance,raw,a
landing,in,\\.csv$,audit,raw,b
`);
    await ws.put('landing/in/x.csv', 'x');
    const dry = await ws.run('scan', '--json', '--dry-run');
    expect(dry.json<ScanJson>()).toMatchObject({ routed: 1, failed: 0 });
    expect(await ws.files()).toEqual(['landing/in/x.csv']);

    const run = await ws.run('scan', '--json');
    const report = run.json<ScanJson>();
    expect(report.routed).toBe(1);
    expect(report.deliveries.map((d) => d.destination).sort()).toEqual([
      'audit/raw/b/x.csv',
      'finance/raw/a/x.csv',
    ]);
    expect(await ws.files()).toEqual(['audit/raw/b/x.csv', 'finance/raw/a/x.csv']);
  });

  it('ignores folder placeholders and reports stdout as JSON only', async () => {
    ws = await Workspace.create();
    await ws.put('source_bucket/raw_data/sale_1.csv', '1');
    const run = await ws.run('scan', '--json');
    expect(() => JSON.parse(run.stdout)).not.toThrow();
  });
});
