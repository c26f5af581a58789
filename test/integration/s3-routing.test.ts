// Routing end to end through the CLI (in-process) and openContext with one
// referential and a switchyard.yaml mapping projects to S3 (fauxqs, a real
// S3 protocol server in a child process) and to local folders.
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseS3Event } from '../../src/notifications/s3-event.js';
import { silentLogger } from '../../src/util/log.js';
import { openContext, type Context } from '../../src/runtime/context.js';
import { scan } from '../../src/modes/scan.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { provenanceToMetadata } from '../../src/storage/provenance.js';
import type { ObjectStore } from '../../src/storage/types.js';
import { startS3CountingProxy, type S3CountingProxy } from '../helpers/s3-counting-proxy.js';
import type { Workspace } from '../helpers/workspace.js';
import {
  cloudWorkspace,
  configOf,
  HEADER,
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

const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

describe('routing with S3 backends (fauxqs)', () => {
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
    for (const proxy of proxies.splice(0)) await proxy.stop();
    await ws?.remove();
    ws = undefined;
  });

  /**
   * A landing bucket holding `big.bin`, 6 MiB of `fill` uploaded in two parts, routed to `lake/in` by
   * `action`; `etag` is the source's, unquoted, a multipart one (no MD5).
   */
  async function multipartLanding(action: 'move' | 'copy', fill: number) {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    const workspace = await cloudWorkspace(
      cloud,
      `${HEADER}\nsrc,${landing},\\.bin$,lake,${lake},in,${action}\n`,
    );
    ws = workspace;
    const body = Buffer.alloc(6 * 1024 * 1024, fill);
    await putMultipart(cloud, landing, 'big.bin', body);
    const etag = (await s3Head(cloud, landing, 'big.bin')).ETag?.replace(/"/g, '');
    expect(etag).toMatch(/-2$/);
    return { landing, lake, body, workspace, etag };
  }

  it('fs → S3: streams, verifies, writes provenance, deletes the local source; a re-run routes nothing', async () => {
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nland,in,^sale_.*\\.csv$,lake,${lake},sales/{yyyy},move\n`);
    await ws.put('land/in/sale_fr.csv', 'fr,42\n');
    await ws.put('land/in/notes.txt', 'not routed');

    const first = await ws.run('scan', '--json');
    expect(first.code, first.stderr).toBe(0);
    const report = first.json<ScanJson>();
    expect(report).toMatchObject({ routed: 1, unrouted: 1, failed: 0 });
    const year = new Date().getUTCFullYear();
    const key = `sales/${year}/sale_fr.csv`;
    expect(await s3Get(cloud, lake, key)).toEqual(Buffer.from('fr,42\n'));
    const head = await s3Head(cloud, lake, key);
    expect(head.Metadata?.['switchyard-source']).toBe('land/in/sale_fr.csv');
    expect(head.Metadata?.['switchyard-crc32c']).toBe(crc32cOf('fr,42\n'));
    expect(await ws.files()).toEqual(['land/in/notes.txt']);

    const again = await ws.run('scan', '--json');
    expect(again.json<ScanJson>()).toMatchObject({ routed: 0, unrouted: 1, failed: 0 });
    expect(await s3Keys(cloud, lake)).toEqual([key]);
  });

  it('S3 → fs: moves objects from a bucket to a local folder, sub-folders kept by {path}', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    ws = await cloudWorkspace(cloud, `${HEADER}\nsrc,${landing},\\.csv$,archive,raw,{path},move\n`);
    await s3Put(cloud, landing, 'emea/q1/finance.csv', 'a,b\n1,2\n');
    await s3Put(cloud, landing, 'top.csv', 'top\n');

    const run = await ws.run('scan', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<ScanJson>()).toMatchObject({ routed: 2, failed: 0 });
    expect(await ws.read('archive/raw/emea/q1/finance.csv')).toEqual(Buffer.from('a,b\n1,2\n'));
    expect(await ws.read('archive/raw/top.csv')).toEqual(Buffer.from('top\n'));
    expect(await s3Keys(cloud, landing)).toEqual([]);
    expect((await ws.run('scan', '--json')).json<ScanJson>()).toMatchObject({ routed: 0, listed: 0 });
  });

  it('S3 → S3 is server-side: no object bytes written through the process, ledger bytesThroughProcess 0', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nsrc,${landing},\\.bin$,lake,${lake},in,move\n`);
    const bodies = [Buffer.alloc(300_000, 1), Buffer.alloc(70_000, 2)];
    await s3Put(cloud, landing, 'a.bin', bodies[0]!);
    await s3Put(cloud, landing, 'b.bin', bodies[1]!);

    ctx = await openContext(await configOf(ws), silentLogger());
    const report = await scan(ctx, { concurrency: 4 });
    expect(report).toMatchObject({ routed: 2, failed: 0 });
    const src = await ctx.stores.storeFor('src');
    const dst = await ctx.stores.storeFor('lake');
    expect(src.canCopyFrom(dst) && dst.canCopyFrom(src)).toBe(true);
    // The copy itself moves nothing through the process...
    expect(src.stats?.bytesOut).toBe(0);
    expect(dst.stats?.bytesOut).toBe(0);
    const records = (await ctx.reports.query({ limit: 10 })).items;
    expect(records.map((r) => [r.state, r.bytesThroughProcess])).toEqual([
      ['done', 0],
      ['done', 0],
    ]);
    // ...and nothing is read to verify it: single-part ETags are MD5s the server vouches for,
    // the source's in its look, the destination's in the copy's answer.
    expect(src.stats?.bytesIn).toBe(0);
    expect(dst.stats?.bytesIn).toBe(0);
    expect((await s3Get(cloud, lake, 'in/a.bin'))?.equals(bodies[0]!)).toBe(true);
    expect(await s3Keys(cloud, landing)).toEqual([]);
    expect((await s3Head(cloud, lake, 'in/b.bin')).Metadata?.['switchyard-source']).toBe(
      `src/${landing}/b.bin`,
    );
  });

  it('a copy takes 3 requests (look at the source, a listing of the destination folder, CopyObject), a move 2 more, none of them a GET', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(
      cloud,
      `${HEADER}\nsrc,${landing},^c_,lake,${lake},in,copy\nsrc,${landing},^m_,lake,${lake},in,move\n`,
    );
    await s3Put(cloud, landing, 'c_1.csv', 'copied');
    await s3Put(cloud, landing, 'm_1.csv', 'moved');
    // a listing that stands for the whole test, so the counts do not hang on the clock
    const requests = await countedAtServer(cloud, ws, 600_000);
    ctx = await openContext(await configOf(ws), silentLogger());

    const copied = await ctx.router.route({
      project: 'src',
      bucket: landing,
      key: 'c_1.csv',
      origin: 'manual',
    });
    expect(copied.outcome).toBe('routed');
    // fauxqs enforces no If-None-Match: the destination folder is listed instead of a look at the key
    expect(requests.take()).toEqual({ HeadObject: 1, ListObjectsV2: 1, CopyObject: 1 });
    const moved = await ctx.router.route({
      project: 'src',
      bucket: landing,
      key: 'm_1.csv',
      origin: 'manual',
    });
    expect(moved.outcome).toBe('routed');
    // the source's deletion looks at it first: fauxqs checks no If-Match, and its LastModified is part of the generation
    // the listing still answers for in/m_1.csv: looks at the source only
    expect(requests.take()).toEqual({ HeadObject: 2, CopyObject: 1, DeleteObject: 1 });
    expect(await s3Get(cloud, lake, 'in/m_1.csv')).toEqual(Buffer.from('moved'));
    expect(await s3Keys(cloud, landing)).toEqual(['c_1.csv']);
  });

  it('a scan copies each object with 2 requests at the server (a look at the source, CopyObject), one listing of each side for all', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nsrc,${landing},\\.bin$,lake,${lake},in,copy\n`);
    const count = 12;
    for (let i = 0; i < count; i++) await s3Put(cloud, landing, `o-${i}.bin`, `object ${i}`);
    const requests = await countedAtServer(cloud, ws, 600_000);
    ctx = await openContext(await configOf(ws), silentLogger());
    const report = await scan(ctx, { concurrency: 4 });
    expect(report).toMatchObject({ routed: count, failed: 0 });
    const counted = requests.take();
    expect(counted).toEqual({ ListObjectsV2: 2, HeadObject: count, CopyObject: count });
    const perObject = (Object.values(counted).reduce((a, b) => a + b, 0) - 2) / count;
    expect(perObject).toBe(2);
    expect(await s3Get(cloud, lake, 'in/o-7.bin')).toEqual(Buffer.from('object 7'));
    // a re-run finds every destination delivered: a look at each side (the listing holds
    // each key this process copied, so it looks), no copy
    await scan(ctx, { concurrency: 4 });
    expect(requests.take()).toEqual({ ListObjectsV2: 1, HeadObject: 2 * count });
  });

  it('destinationListingMs 0: a look at the destination key before each copy instead of a listing', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nsrc,${landing},\\.bin$,lake,${lake},in,copy\n`);
    const count = 5;
    for (let i = 0; i < count; i++) await s3Put(cloud, landing, `o-${i}.bin`, `object ${i}`);
    const requests = await countedAtServer(cloud, ws, 0);
    ctx = await openContext(await configOf(ws), silentLogger());
    expect(await scan(ctx, { concurrency: 2 })).toMatchObject({ routed: count, failed: 0 });
    expect(requests.take()).toEqual({ ListObjectsV2: 1, HeadObject: 2 * count, CopyObject: count });
  });

  it('an object another writer put at a destination key is found by the listing and judged, not replaced', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nsrc,${landing},\\.bin$,lake,${lake},in,move\n`);
    for (const name of ['a', 'b', 'c']) await s3Put(cloud, landing, `${name}.bin`, `source ${name}`);
    await s3Put(cloud, lake, 'in/b.bin', 'someone else');
    const requests = await countedAtServer(cloud, ws, 600_000);
    ctx = await openContext(await configOf(ws), silentLogger());
    const report = await scan(ctx, { concurrency: 1 });
    expect(report).toMatchObject({ routed: 2, failed: 1 });
    expect(requests.take()).toMatchObject({ ListObjectsV2: 2, CopyObject: 2 });
    expect(await s3Get(cloud, lake, 'in/b.bin')).toEqual(Buffer.from('someone else'));
    expect(await s3Keys(cloud, landing)).toEqual(['b.bin']);
    expect(await s3Get(cloud, lake, 'in/c.bin')).toEqual(Buffer.from('source c'));
  });

  it('a multipart source (its ETag no MD5, no CRC32C from fauxqs) is read once, while the server copies it; the destination never', async () => {
    const { landing, lake, body, workspace, etag } = await multipartLanding('move', 7);
    const requests = await countedAtServer(cloud, workspace, 600_000);
    ctx = await openContext(await configOf(workspace), silentLogger());
    const report = await scan(ctx, { concurrency: 1 });
    expect(report).toMatchObject({ routed: 1, failed: 0 });
    // one look at the source before the copy (the router's; the read stands for a second), one before its deletion
    expect(requests.take()).toEqual({
      ListObjectsV2: 2,
      HeadObject: 2,
      GetObject: 1,
      CopyObject: 1,
      DeleteObject: 1,
    });
    expect((await ctx.stores.storeFor('src')).stats?.bytesIn).toBe(body.length);
    expect((await ctx.stores.storeFor('lake')).stats?.bytesIn).toBe(0);
    // the provenance, written with the copy, names the source's ETag; the read's CRC32C is the ledger's
    const head = await s3Head(cloud, lake, 'in/big.bin');
    expect(head.Metadata?.['switchyard-etag']).toBe(etag);
    expect(head.Metadata?.['switchyard-crc32c']).toBeUndefined();
    const [done] = (await ctx.reports.query({ limit: 10 })).items;
    expect(done).toMatchObject({ state: 'done', crc32c: crc32cOf(body) });
    expect(await s3Keys(cloud, landing)).toEqual([]);
  });

  it('a multipart source read while the server copies it: a copy whose answer names other bytes keeps the source', async () => {
    const { landing, lake, body, workspace } = await multipartLanding('move', 5);
    ctx = await openContext(await configOf(workspace), silentLogger(), { retry: FAST_RETRY });
    const lying = await lyingCopies(ctx, 'lake', 'other bytes');
    const event = { project: 'src', bucket: landing, key: 'big.bin', origin: 'manual' as const };
    const failed = await ctx.router.route(event);
    expect(failed.outcome).toBe('failed');
    expect(failed.deliveries[0]?.error?.code).toBe('E_CHECKSUM_MISMATCH');
    expect((await s3Get(cloud, landing, 'big.bin'))?.equals(body)).toBe(true);

    lying.honest();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // the copy left meanwhile names this generation's ETag alone: both sides are read, then it is delivered
    expect((await ctx.router.route(event)).outcome).toBe('routed');
    expect(await s3Get(cloud, landing, 'big.bin')).toBeUndefined();
    expect((await s3Get(cloud, lake, 'in/big.bin'))?.equals(body)).toBe(true);
  });

  it('a multipart source copied where the server enforces the copy pin is not read: its provenance names the source ETag', async () => {
    const { lake, body, workspace, etag } = await multipartLanding('copy', 9);
    // declared as AWS states it (fauxqs itself does not enforce x-amz-copy-source-if-match)
    await editYaml(workspace, (yaml) =>
      yaml.replaceAll(
        '    partSizeBytes: 5242880\n',
        '    partSizeBytes: 5242880\n    capabilities: { conditionalWrite: true }\n',
      ),
    );
    ctx = await openContext(await configOf(workspace), silentLogger());
    expect(await scan(ctx, { concurrency: 1 })).toMatchObject({ routed: 1, failed: 0 });
    // the ledger's done delivery holds by the destination's provenance: nothing read, nothing copied
    expect(await scan(ctx, { concurrency: 1 })).toMatchObject({ routed: 0, failed: 0 });
    expect((await ctx.stores.storeFor('src')).stats?.bytesIn).toBe(0);
    expect((await ctx.stores.storeFor('lake')).stats?.bytesIn).toBe(0);
    const head = await s3Head(cloud, lake, 'in/big.bin');
    expect(head.Metadata?.['switchyard-etag']).toBe(etag);
    expect(head.Metadata?.['switchyard-crc32c']).toBeUndefined();
    // the copy is single-part: its ETag is the MD5 of the bytes
    expect(head.ContentLength).toBe(body.length);
    expect(head.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
  });

  it('a multipart source copied (the source stays) where the server enforces no pin is not read: a look after the copy finds it unchanged', async () => {
    const { landing, lake, body, workspace, etag } = await multipartLanding('copy', 3);
    const requests = await countedAtServer(cloud, workspace, 600_000);
    ctx = await openContext(await configOf(workspace), silentLogger());
    expect(await scan(ctx, { concurrency: 1 })).toMatchObject({ routed: 1, failed: 0 });
    // the router's look before the copy (its metadata), the store's look after it: no read
    expect(requests.take()).toEqual({ ListObjectsV2: 2, HeadObject: 2, CopyObject: 1 });
    expect((await ctx.stores.storeFor('src')).stats?.bytesIn).toBe(0);
    expect((await ctx.stores.storeFor('lake')).stats?.bytesIn).toBe(0);
    const head = await s3Head(cloud, lake, 'in/big.bin');
    expect(head.Metadata?.['switchyard-etag']).toBe(etag);
    expect(head.ContentLength).toBe(body.length);
    expect((await s3Get(cloud, lake, 'in/big.bin'))?.equals(body)).toBe(true);
    expect((await s3Get(cloud, landing, 'big.bin'))?.equals(body)).toBe(true);
    // a re-run finds it delivered by its provenance: nothing copied again
    expect(await scan(ctx, { concurrency: 1 })).toMatchObject({ routed: 0, failed: 0 });
    expect(requests.take()).not.toHaveProperty('CopyObject');
  });

  it('a multipart source written again between the look and the copy: the look after the copy fails it, the new generation is delivered next', async () => {
    const { landing, lake, workspace } = await multipartLanding('copy', 4);
    ctx = await openContext(await configOf(workspace), silentLogger(), { retry: FAST_RETRY });
    const newer = Buffer.alloc(6 * 1024 * 1024, 8);
    // fauxqs ignores x-amz-copy-source-if-match: the copy takes the newer bytes
    await writtenBeforeFirstCopy(ctx, 'lake', () => putMultipart(cloud, landing, 'big.bin', newer));
    const event = { project: 'src', bucket: landing, key: 'big.bin', origin: 'manual' as const };
    const first = await ctx.router.route(event);
    // the generation the router saw is not the one copied: not delivered, to be routed as the new one
    expect(first.deliveries[0]).toMatchObject({ state: 'superseded', error: { code: 'E_PRECONDITION' } });
    expect(first.outcome).not.toBe('routed');

    const again = await ctx.router.route(event);
    expect(again.generation).not.toBe(first.generation);
    expect(again).toMatchObject({ outcome: 'routed', deliveries: [{ state: 'done' }] });
    expect((await s3Get(cloud, lake, 'in/big.bin'))?.equals(newer)).toBe(true);
  });

  it('a single-part source copied into a bucket declared SSE-KMS (no MD5 in the ETag of the copy, no proof in its answer): the look after the copy pins it', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},in,copy\n`);
    // declared as a bucket encrypting with KMS: a copy's ETag is then no MD5, its answer proves no bytes
    await editYaml(ws, (yaml) =>
      yaml.replaceAll(
        '    partSizeBytes: 5242880\n',
        '    partSizeBytes: 5242880\n    serverSideEncryption: aws:kms\n',
      ),
    );
    await s3Put(cloud, landing, 'f.csv', 'the bytes looked at');
    ctx = await openContext(await configOf(ws), silentLogger(), { retry: FAST_RETRY });
    await writtenBeforeFirstCopy(ctx, 'lake', () => s3Put(cloud, landing, 'f.csv', 'newer bytes, same key'));
    const event = { project: 'src', bucket: landing, key: 'f.csv', origin: 'manual' as const };
    const first = await ctx.router.route(event);
    expect(first.deliveries[0]).toMatchObject({ state: 'superseded', error: { code: 'E_PRECONDITION' } });
    const again = await ctx.router.route(event);
    expect(again).toMatchObject({ outcome: 'routed', deliveries: [{ state: 'done' }] });
    expect(await s3Get(cloud, lake, 'in/f.csv')).toEqual(Buffer.from('newer bytes, same key'));
  });

  it('a move deletes the source only after verification: a copy whose answer names other bytes keeps it', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},,move\n`);
    await s3Put(cloud, landing, 'f.csv', 'the real bytes');
    ctx = await openContext(await configOf(ws), silentLogger(), { retry: FAST_RETRY });
    const lying = await lyingCopies(ctx, 'lake', 'the fake bytes');
    const event = { project: 'src', bucket: landing, key: 'f.csv', origin: 'manual' as const };

    const failed = await ctx.router.route(event);
    expect(failed.outcome).toBe('failed');
    expect(failed.deliveries[0]?.error?.code).toBe('E_CHECKSUM_MISMATCH');
    expect(await s3Get(cloud, landing, 'f.csv')).toEqual(Buffer.from('the real bytes'));
    expect(lying.real.stats?.bytesIn).toBe(0);

    lying.honest();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // the destination written meanwhile carries this generation's provenance and its bytes: delivered
    const routed = await ctx.router.route(event);
    expect(routed.outcome).toBe('routed');
    expect(await s3Get(cloud, landing, 'f.csv')).toBeUndefined();
    expect(await s3Get(cloud, lake, 'f.csv')).toEqual(Buffer.from('the real bytes'));
  });

  it('a destination whose bytes differ from what its provenance names is not taken as delivered', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},,move\n`);
    await s3Put(cloud, landing, 'g.csv', 'the real bytes');
    ctx = await openContext(await configOf(ws), silentLogger(), { retry: FAST_RETRY });
    const source = (await (await ctx.stores.storeFor('src')).stat(landing, 'g.csv'))!;
    // a destination claiming this very generation, holding other bytes
    await cloud.s3.send(
      new PutObjectCommand({
        Bucket: lake,
        Key: 'g.csv',
        Body: 'the fake bytes', // the size of the real ones
        Metadata: provenanceToMetadata({
          source: `src/${landing}/g.csv`,
          generation: source.generation,
          md5: source.md5!,
          route: 'x',
        }),
      }),
    );
    const result = await ctx.router.route({
      project: 'src',
      bucket: landing,
      key: 'g.csv',
      origin: 'manual',
    });
    expect(result.deliveries[0]?.error?.code).toBe('E_CONFLICT');
    expect(await s3Get(cloud, landing, 'g.csv')).toEqual(Buffer.from('the real bytes'));
  });

  it('routes an S3 event notification (the fixture shape) for an S3 source, key URL-decoded', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nsrc,${landing},^sale,lake,${lake},{path},copy\n`);
    const key = 'sales/2024/sale fr été +1.csv';
    const etag = await s3Put(cloud, landing, key, 'été');
    const fixture = JSON.parse(
      readFileSync(new URL('../fixtures/events/s3-object-created.json', import.meta.url), 'utf8'),
    );
    const record = fixture.Records[0];
    record.s3.bucket.name = landing;
    record.s3.object = { ...record.s3.object, size: Buffer.byteLength('été'), eTag: etag };
    delete record.s3.object.versionId;
    const { events } = parseS3Event(fixture);
    expect(events).toHaveLength(1);
    expect(events[0]?.key).toBe(key);

    ctx = await openContext(await configOf(ws), silentLogger());
    const result = await ctx.router.route(events[0]!);
    expect(result.outcome, JSON.stringify(result.error)).toBe('routed');
    expect(result.source?.project).toBe('src');
    expect(await s3Get(cloud, lake, key)).toEqual(Buffer.from('été'));
    expect((await ctx.router.route(events[0]!)).outcome).toBe('duplicate');
  });

  it('the same bytes sent again after the first were moved are delivered again, not deleted as a duplicate', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},in,move\n`);
    ctx = await openContext(await configOf(ws), silentLogger());
    const body = 'id,amount\n1,100\n';
    const eventOf = (etag: string, sequencer: string) =>
      parseS3Event({
        Records: [
          {
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: landing }, object: { key: 'sales.csv', eTag: etag, sequencer } },
          },
        ],
      }).events[0]!;

    const etag = await s3Put(cloud, landing, 'sales.csv', body);
    const written = (await s3Head(cloud, landing, 'sales.csv')).LastModified!.getTime();
    const first = await ctx.router.route(eventOf(etag, '01'));
    expect(first.outcome).toBe('routed');
    expect(await s3Keys(cloud, landing)).toEqual([]);
    // the consumer takes the delivered file away; the producer sends the same bytes again, a second later
    await cloud.s3.send(new DeleteObjectCommand({ Bucket: lake, Key: 'in/sales.csv' }));
    while (Date.now() < written + 1000) await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await ctx.router.route(eventOf(await s3Put(cloud, landing, 'sales.csv', body), '02'));

    expect(again.outcome).toBe('routed');
    expect(again.generation).not.toBe(first.generation);
    expect(await s3Get(cloud, lake, 'in/sales.csv')).toEqual(Buffer.from(body));
    expect(await s3Keys(cloud, landing)).toEqual([]);
  });

  it('provenance makes a ledger-less re-run idempotent: the destination counts as delivered, not a conflict', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(cloud, `${HEADER}\nsrc,${landing},\\.csv$,lake,${lake},copies,copy\n`);
    await s3Put(cloud, landing, 'x.csv', 'x');
    await s3Put(cloud, landing, 'y.csv', 'yy');

    const first = await ws.run('scan', '--json');
    expect(first.json<ScanJson>()).toMatchObject({ routed: 2, failed: 0 });
    const before = await s3Head(cloud, lake, 'copies/x.csv');

    await removeLedger(ws);
    ctx = await openContext(await configOf(ws), silentLogger());
    const writes: string[] = [];
    const lakeStore = await ctx.stores.storeFor('lake');
    ctx.stores.register('lake', spyWrites(lakeStore, writes));
    const report = await scan(ctx, { concurrency: 2 });
    expect(report).toMatchObject({ routed: 2, failed: 0, dead: 0, errors: [] });
    expect(report.deliveries.map((d) => d.state)).toEqual(['done', 'done']);
    expect(writes).toEqual([]);
    const after = await s3Head(cloud, lake, 'copies/x.csv');
    expect(after.ETag).toBe(before.ETag);
    expect(await s3Keys(cloud, landing)).toEqual(['x.csv', 'y.csv']);
    expect(await s3Keys(cloud, lake)).toEqual(['copies/x.csv', 'copies/y.csv']);
  });
});

type CopyFn = ObjectStore['copy'];

/**
 * Points the workspace's S3 projects at a proxy in front of fauxqs that counts
 * the requests reaching the server, by S3 operation (stopped with the test).
 */
async function countedAtServer(
  cloud: Cloud,
  ws: Workspace,
  destinationListingMs?: number,
): Promise<S3CountingProxy> {
  const proxy = await startS3CountingProxy(cloud.fauxqs.endpoint);
  proxies.push(proxy);
  const file = path.join(ws.dir, 'switchyard.yaml');
  let yaml = (await readFile(file, 'utf8')).replaceAll(cloud.fauxqs.endpoint, proxy.endpoint);
  if (destinationListingMs !== undefined)
    yaml = yaml.replaceAll(
      '    partSizeBytes: 5242880\n',
      `    partSizeBytes: 5242880\n    destinationListingMs: ${destinationListingMs}\n`,
    );
  await writeFile(file, yaml);
  return proxy;
}

async function editYaml(ws: Workspace, edit: (yaml: string) => string): Promise<void> {
  const file = path.join(ws.dir, 'switchyard.yaml');
  await writeFile(file, edit(await readFile(file, 'utf8')));
}

/** The proxies of the running test, stopped after it. */
const proxies: S3CountingProxy[] = [];

/** `store`, recording every write, copy and rename into `calls`. */
function spyWrites(store: ObjectStore, calls: string[]): ObjectStore {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const fn = (value as (...a: unknown[]) => unknown).bind(target);
      if (property !== 'write' && property !== 'copy' && property !== 'rename') return fn;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return fn(...args);
      };
    },
  });
}

/** `body` uploaded to `bucket/key` in parts of 5 MiB: its ETag is no MD5 (`-N`), and fauxqs states no CRC32C. */
async function putMultipart(cloud: Cloud, bucket: string, key: string, body: Buffer): Promise<void> {
  await new Upload({
    client: cloud.s3,
    partSize: 5 * 1024 * 1024,
    params: { Bucket: bucket, Key: key, Body: body },
  }).done();
}

/**
 * Registers `project`'s store again with copies whose answers name the MD5
 * of `otherBytes` instead of what was copied, until `honest()`; `real` is
 * the store underneath.
 */
async function lyingCopies(
  ctx: Context,
  project: string,
  otherBytes: string,
): Promise<{ real: ObjectStore; honest(): void }> {
  const real = await ctx.stores.storeFor(project);
  const fake = createHash('md5').update(otherBytes).digest('base64');
  let lying = true;
  ctx.stores.register(
    project,
    withCopy(real, async (original) => {
      const info = await original();
      return lying ? { ...info, md5: fake } : info;
    }),
  );
  return {
    real,
    honest() {
      lying = false;
    },
  };
}

/**
 * Registers `project`'s store again with `write` run once, just before its
 * first copy: after the router's look at the source, before the server copies.
 */
async function writtenBeforeFirstCopy(ctx: Context, project: string, write: () => Promise<unknown>) {
  let written = false;
  ctx.stores.register(
    project,
    withCopy(await ctx.stores.storeFor(project), async (original) => {
      if (!written) await write();
      written = true;
      return original();
    }),
  );
}

/** `store` with `copy` replaced (the original, with the same arguments, is passed in). */
function withCopy(
  store: ObjectStore,
  copy: (original: () => ReturnType<CopyFn>) => ReturnType<CopyFn>,
): ObjectStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'copy') {
        return (...args: Parameters<CopyFn>) => copy(() => target.copy(...args));
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
