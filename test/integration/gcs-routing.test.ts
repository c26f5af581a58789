// Routing from GCS (the JSON API double): GCS → GCS by rewrite (server-side)
// and GCS → S3 (fauxqs) streamed through the process with provenance.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/util/log.js';
import { openContext, type Context } from '../../src/runtime/context.js';
import { scan } from '../../src/modes/scan.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import type { Workspace } from '../helpers/workspace.js';
import {
  bucketName,
  cloudWorkspace,
  configOf,
  HEADER,
  s3Bucket,
  s3Get,
  s3Head,
  startCloud,
  type Cloud,
  type ScanJson,
} from './cloud-fixture.js';

describe('routing from GCS (JSON API double)', () => {
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

  it('GCS → GCS is a rewrite: no bytes through the process, provenance on the destination', async () => {
    const landing = bucketName('landing');
    const archive = bucketName('archive');
    ws = await cloudWorkspace(
      cloud,
      `${HEADER}\nfin,${landing},^ledger_,arch,${archive},books/{path},move\n`,
    );
    const body = randomBytes(600 * 1024);
    const source = cloud.gcs.put(landing, 'eu/ledger_2024.csv', body);
    const rewritesBefore = cloud.gcs.calls['objects.rewrite'] ?? 0;
    const getsBefore = cloud.gcs.calls['objects.get'] ?? 0;

    ctx = await openContext(await configOf(ws), silentLogger());
    const report = await scan(ctx, { concurrency: 2 });
    expect(report).toMatchObject({ routed: 1, failed: 0 });
    const src = await ctx.stores.storeFor('fin');
    const dst = await ctx.stores.storeFor('arch');
    expect(src.stats).toEqual({ bytesIn: 0, bytesOut: 0 });
    expect(dst.stats).toEqual({ bytesIn: 0, bytesOut: 0 });
    expect((cloud.gcs.calls['objects.rewrite'] ?? 0) - rewritesBefore).toBeGreaterThanOrEqual(3);
    // the source by the rewrite alone: the scan's listing stands for the router's look (a GCS
    // listing carries what a look does); the destination is not looked at first (the rewrite is
    // conditional on its absence, ifGenerationMatch 0), and the rewrite's answer carries the
    // destination's crc32c, so verifying it reads nothing again
    expect((cloud.gcs.calls['objects.get'] ?? 0) - getsBefore).toBe(1);
    const [record] = (await ctx.reports.query({ limit: 1 })).items;
    expect(record).toMatchObject({ state: 'done', bytesThroughProcess: 0 });

    const copied = cloud.gcs.get(archive, 'books/eu/ledger_2024.csv');
    expect(copied?.body.equals(body)).toBe(true);
    expect(copied?.metadata).toMatchObject({
      'switchyard-source': `fin/${landing}/eu/ledger_2024.csv`,
      'switchyard-generation': source.generation,
      'switchyard-crc32c': crc32cOf(body),
    });
    expect(cloud.gcs.get(landing, 'eu/ledger_2024.csv')).toBeUndefined();
  });

  it('GCS → S3 streams: bytes through the process equal the size, checksum verified, provenance on S3', async () => {
    const landing = bucketName('landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nfin,${landing},\\.parquet$,lake,${lake},imports,copy\n`);
    const body = randomBytes(6 * 1024 * 1024 + 123);
    const source = cloud.gcs.put(landing, 'daily.parquet', body, {
      contentType: 'application/octet-stream',
      metadata: { team: 'fin' },
    });

    ctx = await openContext(await configOf(ws), silentLogger());
    const report = await scan(ctx, { concurrency: 2 });
    expect(report).toMatchObject({ routed: 1, failed: 0 });
    const [record] = (await ctx.reports.query({ limit: 1 })).items;
    expect(record).toMatchObject({ state: 'done', bytesThroughProcess: body.length, crc32c: crc32cOf(body) });
    const gcs = await ctx.stores.storeFor('fin');
    const s3 = await ctx.stores.storeFor('lake');
    expect(gcs.stats?.bytesIn).toBe(body.length);
    expect(s3.stats?.bytesOut).toBe(body.length);

    expect((await s3Get(cloud, lake, 'imports/daily.parquet'))?.equals(body)).toBe(true);
    const head = await s3Head(cloud, lake, 'imports/daily.parquet');
    expect(head.Metadata).toMatchObject({
      team: 'fin',
      'switchyard-source': `fin/${landing}/daily.parquet`,
      'switchyard-generation': source.generation,
      'switchyard-crc32c': crc32cOf(body),
      'switchyard-route': 'row-1',
    });
    expect(cloud.gcs.get(landing, 'daily.parquet')).toBeDefined();
  });

  it('GCS → S3 through the CLI: a re-run routes nothing', async () => {
    const landing = bucketName('landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nfin,${landing},\\.csv$,lake,${lake},,move\n`);
    cloud.gcs.put(landing, 'a.csv', Buffer.from('a'));
    cloud.gcs.put(landing, 'b.csv', Buffer.from('bb'));

    const first = await ws.run('scan', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(first.json<ScanJson>()).toMatchObject({ routed: 2, failed: 0 });
    expect(await s3Get(cloud, lake, 'b.csv')).toEqual(Buffer.from('bb'));
    expect(cloud.gcs.get(landing, 'a.csv')).toBeUndefined();
    const second = await ws.run('scan', '--json');
    expect(second.json<ScanJson>()).toMatchObject({ routed: 0, listed: 0, failed: 0 });
  });
});
