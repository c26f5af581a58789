// `switchyard demo --dir DIR` writes the seed's referential and landing files
// into DIR: it must never overwrite a routes.csv (or data) already there.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/workspace.js';

describe('switchyard demo --dir', () => {
  let ws: Workspace | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await ws?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
    ws = dir = undefined;
  });

  it('runs in a new folder: routes the seed files and exits 0', async () => {
    ws = await Workspace.create();
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-demo-test-'));
    const target = path.join(dir, 'fresh');
    const run = await ws.run('demo', '--dir', target, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ dir: target, routed: 9, unrouted: 1, waiting: 1 });
    const data = path.join(target, 'data');
    expect((await readdir(path.join(data, 'finance', 'raw_data'))).sort()).toEqual([
      'finance_2024-01.csv',
      'finance_2024-02.csv',
      'finance_q1 report.csv',
    ]);
    // the transform: CSV in, one JSON line per record out, under its new name
    expect(
      await readFile(path.join(data, 'analytics', 'raw_data', 'inventory', 'stock_2024-01.jsonl'), 'utf8'),
    ).toBe('{"sku":"A-1","on_hand":"12"}\n{"sku":"B-7","on_hand":"0"}\n');
    // the complete group moved whole, its marker with it; the one without a marker waits in place
    expect((await readdir(path.join(data, 'sales', 'raw_data', 'orders', '2024-01-05'))).sort()).toEqual([
      '_SUCCESS',
      'part-0001.csv',
      'part-0002.csv',
    ]);
    expect(await readdir(path.join(data, 'source_bucket', 'raw_data', 'orders', '2024-01-05'))).toEqual([]);
    expect(await readdir(path.join(data, 'source_bucket', 'raw_data', 'orders', '2024-01-06'))).toEqual([
      'part-0001.csv',
    ]);
  });

  it('refuses a folder that already holds routes.csv: exit 2, the file named, nothing touched', async () => {
    ws = await Workspace.create();
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-demo-test-'));
    const mine =
      'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory\nmine,in,x,mine,out,\n';
    await writeFile(path.join(dir, 'routes.csv'), mine);
    const run = await ws.run('demo', '--dir', dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${path.join(dir, 'routes.csv')} already exists`);
    expect(run.stderr).toContain('never overwrites');
    expect(await readFile(path.join(dir, 'routes.csv'), 'utf8')).toBe(mine);
    expect(await readdir(dir)).toEqual(['routes.csv']);
  });

  it('refuses a folder that already holds a data root or a state folder', async () => {
    ws = await Workspace.create();
    for (const taken of ['data', '.switchyard']) {
      dir = await mkdtemp(path.join(tmpdir(), 'switchyard-demo-test-'));
      await mkdir(path.join(dir, taken));
      const run = await ws.run('demo', '--dir', dir, '--json');
      expect(run.code).toBe(2);
      expect(run.json()).toMatchObject({
        error: { code: 'E_USAGE', details: { file: path.join(dir, taken) } },
      });
      expect(await readdir(dir)).toEqual([taken]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
