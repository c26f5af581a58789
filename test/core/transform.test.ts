import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/workspace.js';

interface ScanJson {
  routed: number;
  failed: number;
  dead: number;
  deliveries: Array<{
    source: string;
    destination: string;
    state: string;
    error?: { code: string; message?: string };
  }>;
}

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,transform';

const CSV = 'id,name,note\n1,Ann,"says ""hi"""\n2,Bob,"two\nlines"\n';
const JSONL =
  '{"id":"1","name":"Ann","note":"says \\"hi\\""}\n{"id":"2","name":"Bob","note":"two\\nlines"}\n';

describe('transformations on local folders', () => {
  let ws: Workspace | undefined;
  afterEach(async () => ws?.remove());

  it('gzip: the destination gains .gz and holds the gzip of the source, which is then moved away; a re-run routes nothing', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.csv$,lake,raw,{yyyy},move,fail,gzip\n`);
    const body = 'a,b\n'.repeat(50_000);
    await ws.put('land/in/big.csv', body);
    const first = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(first).toMatchObject({ routed: 1, failed: 0, dead: 0 });
    const key = `lake/raw/${new Date().getUTCFullYear()}/big.csv.gz`;
    expect(await ws.files()).toEqual([key]);
    expect(gunzipSync(await ws.read(key)).toString()).toBe(body);

    const again = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(again).toMatchObject({ routed: 0, failed: 0, dead: 0 });
  });

  it('gunzip loses .gz; csv-to-jsonl turns .csv into .jsonl, a record a line, every value a string', async () => {
    ws = await Workspace.create(
      `${HEADER}\nland,in,\\.gz$,plain,raw,,copy,fail,gunzip\nland,in,^t_.*\\.csv$,json,raw,,copy,fail,csv-to-jsonl\n`,
    );
    await ws.put('land/in/log.txt.gz', gzipSync('line 1\nline 2\n'));
    await ws.put('land/in/t_people.csv', CSV);
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 2, failed: 0, dead: 0 });
    expect((await ws.read('plain/raw/log.txt')).toString()).toBe('line 1\nline 2\n');
    expect((await ws.read('json/raw/t_people.jsonl')).toString()).toBe(JSONL);
    // copy keeps the sources
    expect(await ws.exists('land/in/log.txt.gz')).toBe(true);
    expect(await ws.exists('land/in/t_people.csv')).toBe(true);

    // the kept sources are judged done while their transformed destinations hold the ledger's output checksum
    const again = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(again).toMatchObject({ routed: 0, failed: 0, dead: 0 });
    expect(again.deliveries.map((d) => d.state)).toEqual(['done', 'done']);
    await ws.put('json/raw/t_people.jsonl', '{"changed":"since"}\n');
    const third = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(third).toMatchObject({ dead: 1 });
    expect(third.deliveries.find((d) => d.error)?.error?.code).toBe('E_CONFLICT');
  });

  it('reads CSV with the delimiter and quote of switchyard.yaml', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.csv$,json,raw,,move,fail,csv-to-jsonl\n`);
    await writeFile(path.join(ws.dir, 'switchyard.yaml'), "csv:\n  delimiter: ';'\n  quote: \"'\"\n");
    await ws.put('land/in/eu.csv', "id;label\n1;'a;b'\n2;'it''s'\n");
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 1, dead: 0 });
    expect((await ws.read('json/raw/eu.jsonl')).toString()).toBe(
      '{"id":"1","label":"a;b"}\n{"id":"2","label":"it\'s"}\n',
    );
    expect(await ws.exists('land/in/eu.csv')).toBe(false);
  });

  it('a delimiter or quote that is not one character, or the same one, is refused by validate', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.csv$,json,raw,,move,fail,csv-to-jsonl\n`);
    await writeFile(path.join(ws.dir, 'switchyard.yaml'), "csv:\n  delimiter: ';;'\n");
    const long = await ws.run('validate');
    expect(long.code).not.toBe(0);
    expect(long.stderr + long.stdout).toMatch(/csv\.delimiter.*expected one character/s);
    await writeFile(path.join(ws.dir, 'switchyard.yaml'), "csv:\n  quote: ','\n");
    const same = await ws.run('validate');
    expect(same.code).not.toBe(0);
    expect(same.stderr + same.stdout).toMatch(/expected a quote other than the delimiter/);
  });

  it('malformed CSV dead-letters with E_TRANSFORM_FAILED naming the line, keeps the source and leaves no destination', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.csv$,json,raw,,move,fail,csv-to-jsonl\n`);
    await ws.put('land/in/bad.csv', 'a,b\n1,2\n3,4,5\n6,7\n');
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 0, dead: 1 });
    const [delivery] = report.deliveries;
    expect(delivery?.error?.code).toBe('E_TRANSFORM_FAILED');
    expect(delivery?.error?.message).toMatch(/at line 3/);
    expect(await ws.files()).toEqual(['land/in/bad.csv']);
  });

  it('data that is not gzip dead-letters under gunzip and the source stays', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.gz$,plain,raw,,move,fail,gunzip\n`);
    await ws.put('land/in/fake.csv.gz', 'this is not gzip at all');
    const truncated = gzipSync('x'.repeat(100_000)).subarray(0, 60);
    await ws.put('land/in/cut.csv.gz', truncated);
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 0, dead: 2 });
    expect(report.deliveries.map((d) => d.error?.code)).toEqual(['E_TRANSFORM_FAILED', 'E_TRANSFORM_FAILED']);
    expect(await ws.files()).toEqual(['land/in/cut.csv.gz', 'land/in/fake.csv.gz']);
  });

  it('a re-run with no ledger judges an existing transformed destination by its bytes: delivered, not a conflict', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.csv$,json,raw,,move,fail,csv-to-jsonl\n`);
    await ws.put('land/in/t.csv', CSV);
    // what a crash after the write and before the source's deletion leaves
    await ws.put('json/raw/t.jsonl', JSONL);
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 1, dead: 0 });
    expect(await ws.files()).toEqual(['json/raw/t.jsonl']);
  });

  it('an existing destination with other bytes is a conflict under fail: the source stays', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.csv$,json,raw,,move,fail,csv-to-jsonl\n`);
    await ws.put('land/in/t.csv', CSV);
    await ws.put('json/raw/t.jsonl', '{"other":"bytes"}\n');
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report.deliveries[0]?.error?.code).toBe('E_CONFLICT');
    expect((await ws.read('json/raw/t.jsonl')).toString()).toBe('{"other":"bytes"}\n');
    expect(await ws.exists('land/in/t.csv')).toBe(true);
  });
});
