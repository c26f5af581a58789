// csv-to-parquet with S3 on either side (fauxqs, a real S3 protocol server
// in a child process): streamed through this process, .csv → .parquet, the
// output's CRC32C in the provenance and judged by it on a re-run without a
// ledger, a per-route schema, and a refused value dead-lettered with its line.
import { parquetReadObjects } from 'hyparquet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scan } from '../../src/modes/scan.js';
import { openContext, type Context } from '../../src/runtime/context.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { silentLogger } from '../../src/util/log.js';
import type { Workspace } from '../helpers/workspace.js';
import {
  cloudWorkspace,
  configOf,
  removeLedger,
  s3Bucket,
  s3Get,
  s3Head,
  s3Keys,
  s3Put,
  startCloud,
  type Cloud,
  type ScanJson,
} from './cloud-fixture.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,transform';
const CSV = 'id,amount,city\n1,12.5,"Paris, FR"\n2,,Lyon\n';
const SCHEMA = 'transforms:\n  parquet:\n    schemas:\n      orders: { id: int64, amount: double }\n';

function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

describe('csv-to-parquet with S3 (fauxqs)', () => {
  let cloud: Cloud;
  let ws: Workspace | undefined;
  let ctx: Context | undefined;

  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(async () => cloud?.stop());
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
    await ws?.remove();
    ws = undefined;
  });

  it('S3 → S3: typed by the route schema, provenance keeps the output CRC32C, a re-run without a ledger is judged by it', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(
      cloud,
      `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},pq,copy,orders,csv-to-parquet\n`,
      SCHEMA,
    );
    await s3Put(cloud, landing, 'orders.csv', CSV);

    const first = await ws.run('scan', '--json');
    expect(first.json<ScanJson>(), first.stderr).toMatchObject({ routed: 1, failed: 0, dead: 0 });
    const stored = (await s3Get(cloud, lake, 'pq/orders.parquet'))!;
    expect(await parquetReadObjects({ file: arrayBufferOf(stored) })).toEqual([
      { id: 1n, amount: 12.5, city: 'Paris, FR' },
      { id: 2n, amount: null, city: 'Lyon' },
    ]);
    const before = await s3Head(cloud, lake, 'pq/orders.parquet');
    expect(before.Metadata?.['switchyard-transform']).toBe('csv-to-parquet');
    expect(before.Metadata?.['switchyard-crc32c']).toBe(crc32cOf(stored));
    expect(before.ContentType).toBe('application/vnd.apache.parquet');

    await removeLedger(ws);
    ctx = await openContext(await configOf(ws), silentLogger());
    const report = await scan(ctx, { concurrency: 1 });
    expect(report).toMatchObject({ routed: 1, failed: 0, dead: 0, errors: [] });
    expect((await s3Head(cloud, lake, 'pq/orders.parquet')).ETag).toBe(before.ETag);
    expect(await s3Keys(cloud, landing)).toEqual(['orders.csv']);
  });

  it('fs → S3 move: the source goes once the destination holds the output checksum', async () => {
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nland,in,\\.csv$,lake,${lake},,move,plain,csv-to-parquet\n`);
    const lines = ['id,name'];
    for (let i = 0; i < 50_000; i++) lines.push(`${i},name_${i}`);
    await ws.put('land/in/big.csv', `${lines.join('\n')}\n`);
    const run = await ws.run('scan', '--json');
    expect(run.json<ScanJson>(), run.stderr).toMatchObject({ routed: 1, dead: 0 });
    const rows = await parquetReadObjects({
      file: arrayBufferOf((await s3Get(cloud, lake, 'big.parquet'))!),
    });
    expect(rows).toHaveLength(50_000);
    expect(rows[49_999]).toEqual({ id: '49999', name: 'name_49999' });
    expect(await ws.files()).toEqual([]);
  });

  it('a value its type cannot read dead-letters with E_TRANSFORM_FAILED and the line; the source stays, nothing written', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(
      cloud,
      `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},,move,orders,csv-to-parquet\n`,
      SCHEMA,
    );
    await s3Put(cloud, landing, 'orders.csv', 'id,amount\n1,2\n2,lots\n');
    const report = (await ws.run('scan', '--json')).json<ScanJson>();
    expect(report).toMatchObject({ routed: 0, dead: 1 });
    const error = (report.deliveries[0] as { error?: { code: string; message: string } }).error;
    expect(error?.code).toBe('E_TRANSFORM_FAILED');
    expect(error?.message).toMatch(/failed at line 3: column "amount" expects double, got "lots"/);
    expect(await s3Keys(cloud, landing)).toEqual(['orders.csv']);
    expect(await s3Keys(cloud, lake)).toEqual([]);
  });
});
