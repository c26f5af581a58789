// csv-to-parquet on local folders, through the CLI: the name gains .parquet,
// columns are strings unless switchyard.yaml types them by route_id, a value
// its type cannot read dead-letters with the line and keeps the source, a
// re-run judges the destination by the output's checksum; validate checks
// transforms.parquet.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterEach, describe, expect, it } from 'vitest';
import { zstdAvailable } from '../../src/storage/csv-parquet.js';
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
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,route_id,transform';

const CSV = 'id,amount,city\n1,12.50,"Paris, FR"\n2,,Lyon\n';

function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

describe('csv-to-parquet on local folders', () => {
  let ws: Workspace | undefined;
  afterEach(async () => ws?.remove());

  it('moves orders.csv to orders.parquet, every column a string; a re-run routes nothing', async () => {
    ws = await Workspace.create(
      `${HEADER}\nland,in,\\.csv$,lake,pq,orders,move,fail,orders,csv-to-parquet\n`,
    );
    await ws.put('land/in/orders.csv', CSV);
    const first = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(first).toMatchObject({ routed: 1, failed: 0, dead: 0 });
    expect(await ws.files()).toEqual(['lake/pq/orders/orders.parquet']);
    const bytes = await ws.read('lake/pq/orders/orders.parquet');
    expect(await parquetReadObjects({ file: arrayBufferOf(bytes) })).toEqual([
      { id: '1', amount: '12.50', city: 'Paris, FR' },
      { id: '2', amount: '', city: 'Lyon' },
    ]);
    const again = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(again).toMatchObject({ routed: 0, failed: 0, dead: 0 });
  });

  it('types the columns switchyard.yaml names for the route_id; a copy is judged done by the output checksum', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.csv$,lake,pq,,copy,fail,orders,csv-to-parquet\n`);
    await writeFile(
      path.join(ws.dir, 'switchyard.yaml'),
      'transforms:\n  parquet:\n    rowGroupRows: 1\n    schemas:\n      orders: { id: int64, amount: double }\n',
    );
    await ws.put('land/in/orders.csv', CSV);
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 1, dead: 0 });
    const bytes = await ws.read('lake/pq/orders.parquet');
    expect(await parquetReadObjects({ file: arrayBufferOf(bytes) })).toEqual([
      { id: 1n, amount: 12.5, city: 'Paris, FR' },
      { id: 2n, amount: null, city: 'Lyon' },
    ]);
    expect(parquetMetadata(arrayBufferOf(bytes)).row_groups).toHaveLength(2);
    const again = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(again.deliveries.map((d) => d.state)).toEqual(['done']);
  });

  it('a value its type cannot read dead-letters with E_TRANSFORM_FAILED and the line; the source stays, nothing written', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.csv$,lake,pq,,move,fail,orders,csv-to-parquet\n`);
    await writeFile(
      path.join(ws.dir, 'switchyard.yaml'),
      'transforms:\n  parquet:\n    schemas:\n      orders: { id: int64 }\n',
    );
    await ws.put('land/in/orders.csv', 'id,city\n1,Paris\n2,Lyon\nthree,Nice\n');
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 0, dead: 1 });
    expect(report.deliveries[0]?.error?.code).toBe('E_TRANSFORM_FAILED');
    expect(report.deliveries[0]?.error?.message).toMatch(
      /csv-to-parquet of .*orders\.csv failed at line 4: column "id" expects int64, got "three"/,
    );
    expect(await ws.files()).toEqual(['land/in/orders.csv']);
  });

  it('validate refuses an unknown type or compression with its line, and warns about a schema no csv-to-parquet row uses', async () => {
    ws = await Workspace.create(
      `${HEADER}\nland,in,\\.csv$,lake,pq,,move,fail,orders,csv-to-parquet\nland,in,\\.txt$,lake,txt,,move,fail,texts,\n`,
    );
    const yaml = path.join(ws.dir, 'switchyard.yaml');
    await writeFile(yaml, 'transforms:\n  parquet:\n    schemas:\n      orders: { id: integer }\n');
    const badType = await ws.run('validate');
    expect(badType.code).not.toBe(0);
    expect(badType.stderr + badType.stdout).toMatch(/transforms\.parquet\.schemas\.orders\.id.*int64/s);
    await writeFile(yaml, 'transforms:\n  parquet:\n    compression: lz4\n');
    const badCodec = await ws.run('validate');
    expect(badCodec.code).not.toBe(0);
    expect(badCodec.stderr + badCodec.stdout).toMatch(/transforms\.parquet\.compression.*snappy/s);
    await writeFile(
      yaml,
      'transforms:\n  parquet:\n    schemas:\n      texts: { id: int64 }\n      ordres: { id: int64 }\n',
    );
    const warned = await ws.run('validate', '--json');
    expect(warned.code).toBe(0);
    const messages = JSON.stringify(warned.json());
    expect(messages).toMatch(/schemas types the columns of row texts, whose transform is none/);
    expect(messages).toMatch(/schemas names route_id \\"ordres\\", which no row has/);
  });

  it.skipIf(zstdAvailable())('zstd is refused on a Node whose node:zlib cannot compress it', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.csv$,lake,pq,,move,fail,orders,csv-to-parquet\n`);
    await writeFile(path.join(ws.dir, 'switchyard.yaml'), 'transforms:\n  parquet:\n    compression: zstd\n');
    const run = await ws.run('validate');
    expect(run.code).not.toBe(0);
    expect(run.stderr + run.stdout).toMatch(/zstd needs node:zlib's zstd \(Node 22\.15 or later\)/);
  });

  it.skipIf(!zstdAvailable())('zstd where node:zlib has it', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.csv$,lake,pq,,move,fail,orders,csv-to-parquet\n`);
    await writeFile(path.join(ws.dir, 'switchyard.yaml'), 'transforms:\n  parquet:\n    compression: zstd\n');
    await ws.put('land/in/orders.csv', CSV);
    expect((await ws.run('scan', '--json')).json<ScanJson>()).toMatchObject({ routed: 1 });
    const bytes = await ws.read('lake/pq/orders.parquet');
    expect(parquetMetadata(arrayBufferOf(bytes)).row_groups[0]!.columns[0]!.meta_data!.codec).toBe('ZSTD');
  });
});
