// Transformations with S3 on either side (fauxqs, a real S3 protocol server
// in a child process): the transformed bytes are streamed through this
// process even between two buckets of one server (never a server-side copy),
// their CRC32C kept in the provenance and the ledger, and a re-run judges the
// destination by that provenance.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/util/log.js';
import { openContext, type Context } from '../../src/runtime/context.js';
import { scan } from '../../src/modes/scan.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { provenanceToMetadata } from '../../src/storage/provenance.js';
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
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,transform';
const CSV = 'id,city\n1,"Paris, FR"\n2,Lyon\n';
const JSONL = '{"id":"1","city":"Paris, FR"}\n{"id":"2","city":"Lyon"}\n';

interface Delivery {
  state: string;
  error?: { code: string; message?: string };
}

describe('transformations with S3 (fauxqs)', () => {
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

  it('fs → S3 gzip (multipart-sized): .gz added, provenance names the transform and the output CRC32C, the source goes', async () => {
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nland,in,\\.bin$,lake,${lake},z,move,gzip\n`);
    const body = randomBytes(6 * 1024 * 1024);
    await ws.put('land/in/blob.bin', body);

    const first = await ws.run('scan', '--json');
    expect(first.json<ScanJson>(), first.stderr).toMatchObject({ routed: 1, failed: 0, dead: 0 });
    const stored = (await s3Get(cloud, lake, 'z/blob.bin.gz'))!;
    // (Buffer.equals: a deep equality of megabytes is slow)
    expect(gunzipSync(stored).equals(body)).toBe(true);
    const head = await s3Head(cloud, lake, 'z/blob.bin.gz');
    expect(head.Metadata?.['switchyard-transform']).toBe('gzip');
    expect(head.Metadata?.['switchyard-crc32c']).toBe(crc32cOf(stored));
    expect(head.ContentType).toBe('application/gzip');
    expect(await ws.files()).toEqual([]);
  });

  it('S3 → S3 on one server: csv-to-jsonl streams through the process; a re-run without a ledger is judged by provenance', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(
      cloud,
      `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},json,copy,csv-to-jsonl\n`,
    );
    await s3Put(cloud, landing, 'cities.csv', CSV);

    const first = await ws.run('scan', '--json');
    expect(first.json<ScanJson>(), first.stderr).toMatchObject({ routed: 1, failed: 0, dead: 0 });
    expect((await s3Get(cloud, lake, 'json/cities.jsonl'))?.toString()).toBe(JSONL);
    const before = await s3Head(cloud, lake, 'json/cities.jsonl');
    expect(before.Metadata?.['switchyard-crc32c']).toBe(crc32cOf(JSONL));

    // a re-run with the ledger: done, the destination holds the kept output checksum
    const again = await ws.run('scan', '--json');
    expect(again.json<ScanJson>().deliveries.map((d: Delivery) => d.state)).toEqual(['done']);

    await removeLedger(ws);
    ctx = await openContext(await configOf(ws), silentLogger());
    const report = await scan(ctx, { concurrency: 1 });
    expect(report).toMatchObject({ routed: 1, failed: 0, dead: 0, errors: [] });
    expect((await s3Head(cloud, lake, 'json/cities.jsonl')).ETag).toBe(before.ETag);
    expect(await s3Keys(cloud, landing)).toEqual(['cities.csv']);
  });

  it('provenance of the same source generation under another transform, with other bytes, is a conflict', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},,move,gzip\n`);
    await s3Put(cloud, landing, 'x.csv', CSV);
    ctx = await openContext(await configOf(ws), silentLogger());
    const source = await (await ctx.stores.storeFor('src')).stat(landing, 'x.csv');
    const other = gzipSync('id,city\n9,Nice\n');
    // what a row of an older referential might have left there
    await cloud.s3.send(
      new PutObjectCommand({
        Bucket: lake,
        Key: 'x.csv.gz',
        Body: other,
        Metadata: provenanceToMetadata({
          source: `src/${landing}/x.csv`,
          generation: source!.generation,
          crc32c: crc32cOf(other),
          route: 'row-1',
          transform: 'csv-to-jsonl',
        }),
      }),
    );
    const report = await scan(ctx, { concurrency: 1 });
    expect(report.deliveries.map((d) => d.error?.code)).toEqual(['E_CONFLICT']);
    expect(await s3Keys(cloud, landing)).toEqual(['x.csv']);
    expect((await s3Get(cloud, lake, 'x.csv.gz'))?.equals(other)).toBe(true);
  });

  it('malformed CSV and bad gzip on S3 dead-letter with E_TRANSFORM_FAILED; sources kept, nothing written', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(
      cloud,
      `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},,move,csv-to-jsonl\nsrc,${landing},\\.gz$,lake,${lake},,move,gunzip\n`,
    );
    await s3Put(cloud, landing, 'bad.csv', 'a,b\n1,2\n3,"4\n');
    await s3Put(cloud, landing, 'bad.txt.gz', 'plain text');

    const run = await ws.run('scan', '--json');
    const report = run.json<ScanJson>();
    expect(report).toMatchObject({ routed: 0, dead: 2 });
    const errors = report.deliveries.map((d: Delivery) => d.error);
    expect(errors.map((e) => e?.code)).toEqual(['E_TRANSFORM_FAILED', 'E_TRANSFORM_FAILED']);
    expect(errors.find((e) => e?.message?.includes('csv-to-jsonl'))?.message).toMatch(/line 3/);
    expect(await s3Keys(cloud, landing)).toEqual(['bad.csv', 'bad.txt.gz']);
    expect(await s3Keys(cloud, lake)).toEqual([]);
  });
});
