// Per-drain manifests and notify messages on local folders (issue [12]):
// a drain writes `_MANIFEST-<drain id>.json` into every folder it delivered
// to, never over another, sends one message per row with `notify`, and a
// failed message loses or re-delivers nothing.
import { readdir } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { drain } from '../../src/drains/batch.js';
import { scan } from '../../src/modes/scan.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { Notifier } from '../../src/signals/notifier.js';
import { writeManifest, type Manifest } from '../../src/signals/manifest.js';
import { signalFromContext } from '../../src/drains/drain-signal.js';
import { deliveredFiles } from '../../src/router/delivered.js';
import { batchFixture, type BatchFixture } from '../batch/helpers.js';
import { startHttpsSink, type HttpsSink } from './https-server.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,write_manifest,notify';

describe('drain manifests and notify on local folders', () => {
  let f: BatchFixture | undefined;
  let sink: HttpsSink;
  let notifier: Notifier;
  beforeAll(async () => {
    sink = await startHttpsSink();
  });
  afterAll(async () => sink.close());
  afterEach(async () => {
    await notifier?.close();
    await f?.close();
    f = undefined;
    sink.bodies.length = 0;
    sink.status = 204;
  });

  async function queued(routes: string, files: Record<string, string>): Promise<BatchFixture> {
    const fixture = await batchFixture(routes);
    for (const [location, content] of Object.entries(files)) await fixture.ws.put(location, content);
    await fixture.queue.publish(Object.keys(files).map((l) => fixture.event(l)));
    return fixture;
  }

  async function manifestsIn(location: string): Promise<Manifest[]> {
    const names = (await readdir(f!.ws.file(location))).filter((n) => n.startsWith('_MANIFEST-')).sort();
    return Promise.all(
      names.map(async (n) => JSON.parse((await f!.ws.read(`${location}/${n}`)).toString('utf8')) as Manifest),
    );
  }

  it('writes one manifest per folder delivered to, lists names, sizes, CRC32C and sources, and a rescan routes no manifest', async () => {
    const routes = `${HEADER}
land,in,^sale_(?P<c>[a-z]+),lake,raw,sales/{c},move,sales,true,${sink.url}
land,in,^hr_,lake,raw,hr,copy,hr,false,
lake,raw,.*,backup,all,{path},copy,backup,,
`;
    f = await queued(routes, {
      'land/in/sale_fr_1.csv': 'fr,1\n',
      'land/in/sale_fr_2.csv': 'fr,22\n',
      'land/in/sale_de_1.csv': 'de,333\n',
      'land/in/hr_1.csv': 'hr\n',
    });
    notifier = new Notifier({ ca: sink.ca, backoffMs: 1 });
    const report = await drain(f.ctx, f.queue, { notifier });
    expect(report).toMatchObject({
      routed: 4,
      acked: 4,
      notified: 1,
      manifestFailures: 0,
      notifyFailures: 0,
    });
    expect(report.id).toMatch(/^drain-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    const name = `_MANIFEST-${report.id}.json`;
    expect(report.manifests.sort()).toEqual([`lake/raw/sales/de/${name}`, `lake/raw/sales/fr/${name}`]);

    const [fr] = await manifestsIn('lake/raw/sales/fr');
    expect(fr).toEqual({
      id: report.id,
      kind: 'drain',
      route: 'sales',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      files: expect.arrayContaining([
        { name: 'sale_fr_1.csv', size: 5, crc32c: crc32cOf('fr,1\n'), source: 'land/in/sale_fr_1.csv' },
        { name: 'sale_fr_2.csv', size: 6, crc32c: crc32cOf('fr,22\n'), source: 'land/in/sale_fr_2.csv' },
      ]),
    });
    expect(fr!.files).toHaveLength(2);
    const [de] = await manifestsIn('lake/raw/sales/de');
    expect(de!.files).toEqual([
      { name: 'sale_de_1.csv', size: 7, crc32c: crc32cOf('de,333\n'), source: 'land/in/sale_de_1.csv' },
    ]);
    expect(await manifestsIn('lake/raw/hr')).toEqual([]);

    expect(sink.bodies).toHaveLength(1);
    expect(sink.bodies[0]).toMatchObject({
      id: report.id,
      kind: 'drain',
      route: 'sales',
      manifests: expect.arrayContaining([`lake/raw/sales/fr/${name}`, `lake/raw/sales/de/${name}`]),
    });
    const message = sink.bodies[0] as { files: Array<{ destination: string }> };
    expect(message.files.map((x) => x.destination).sort()).toEqual([
      'lake/raw/sales/de/sale_de_1.csv',
      'lake/raw/sales/fr/sale_fr_1.csv',
      'lake/raw/sales/fr/sale_fr_2.csv',
    ]);

    // lake/raw is also a source: its data files are copied on, the manifests are left alone
    const rescan = await scan(f.ctx, { concurrency: 2 });
    expect(rescan).toMatchObject({ routed: 4, failed: 0 });
    const backup = (await f.ws.files()).filter((p) => p.startsWith('backup/'));
    expect(backup.sort()).toEqual([
      'backup/all/hr/hr_1.csv',
      'backup/all/sales/de/sale_de_1.csv',
      'backup/all/sales/fr/sale_fr_1.csv',
      'backup/all/sales/fr/sale_fr_2.csv',
    ]);
    const again = await scan(f.ctx, { concurrency: 2 });
    expect(again).toMatchObject({ routed: 0, unrouted: 0, failed: 0 });
  });

  it('a second drain writes its own manifest beside the first, which stays as it was', async () => {
    const routes = `${HEADER}\nland,in,^a_,lake,raw,daily,move,daily,true,\n`;
    f = await queued(routes, { 'land/in/a_1.csv': 'one\n' });
    const first = await drain(f.ctx, f.queue);
    const before = await f.ws.read(`lake/raw/daily/_MANIFEST-${first.id}.json`);
    await f.ws.put('land/in/a_2.csv', 'two\n');
    await f.queue.publish([f.event('land/in/a_2.csv')]);
    const second = await drain(f.ctx, f.queue);
    expect(second.id).not.toBe(first.id);
    expect(await f.ws.read(`lake/raw/daily/_MANIFEST-${first.id}.json`)).toEqual(before);
    const manifests = await manifestsIn('lake/raw/daily');
    expect(manifests.map((m) => m.files.map((x) => x.name))).toEqual(
      [first, second]
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((d) => (d === first ? ['a_1.csv'] : ['a_2.csv'])),
    );
    // a drain that delivers nothing writes nothing
    const empty = await drain(f.ctx, f.queue);
    expect(empty.manifests).toEqual([]);
    expect(await manifestsIn('lake/raw/daily')).toHaveLength(2);
  });

  it('never writes a manifest over an existing one (E_PRECONDITION), nor one with an unsafe id (E_MANIFEST_ID)', async () => {
    f = await batchFixture(`${HEADER}\nland,in,^a_,lake,raw,,move,r,true,\n`);
    const store = await f.ctx.stores.storeFor('lake');
    const manifest: Manifest = {
      id: 'g-1',
      kind: 'group',
      route: 'r',
      createdAt: new Date(0).toISOString(),
      files: [],
    };
    await writeManifest(store, 'raw', 'x/', manifest);
    const before = await f.ws.read('lake/raw/x/_MANIFEST-g-1.json');
    await expect(writeManifest(store, 'raw', 'x/', { ...manifest, route: 'other' })).rejects.toMatchObject({
      code: 'E_PRECONDITION',
    });
    expect(await f.ws.read('lake/raw/x/_MANIFEST-g-1.json')).toEqual(before);
    await expect(writeManifest(store, 'raw', 'x/', { ...manifest, id: '../g' })).rejects.toMatchObject({
      code: 'E_MANIFEST_ID',
      details: { id: '../g' },
    });
  });

  it('a notify that fails after its tries is counted and logged; the files stay delivered and their messages acked', async () => {
    sink.status = 500;
    const routes = `${HEADER}\nland,in,^a_,lake,raw,,move,r,true,${sink.url}\n`;
    f = await queued(routes, { 'land/in/a_1.csv': 'one\n' });
    notifier = new Notifier({ ca: sink.ca, attempts: 3, backoffMs: 1 });
    const report = await drain(f.ctx, f.queue, { notifier });
    expect(report).toMatchObject({ routed: 1, acked: 1, nacked: 0, notified: 0, notifyFailures: 1 });
    expect(report.signalErrors).toEqual([
      expect.objectContaining({ kind: 'notify', route: 'r', code: 'E_NOTIFY_FAILED', target: sink.url }),
    ]);
    expect(report.signalErrors[0]!.message).toContain('HTTP 500');
    expect(sink.bodies).toHaveLength(3);
    expect(await f.ws.read('lake/raw/a_1.csv')).toEqual(Buffer.from('one\n'));
    expect(report.manifests).toEqual([`lake/raw/_MANIFEST-${report.id}.json`]);
    expect(await f.queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
  });

  it('a complete group signals through signalFromContext: one manifest per folder, rows sharing it named per file', async () => {
    const routes = `${HEADER}
land,in,^a_,lake,raw,shared,copy,ra,true,
land,in,^b_,lake,raw,shared,copy,rb,true,
`;
    f = await batchFixture(routes);
    await f.ws.put('land/in/a_1.csv', 'a\n');
    await f.ws.put('land/in/b_1.csv', 'bb\n');
    const results = await f.ctx.router.routeMany([f.event('land/in/a_1.csv'), f.event('land/in/b_1.csv')], 2);
    const deliveries = deliveredFiles(results);
    expect(deliveries).toHaveLength(2);
    const report = await signalFromContext(f.ctx, {
      id: 'group-2026-12-06.sales',
      kind: 'group',
      deliveries,
    });
    expect(report).toMatchObject({
      manifests: ['lake/raw/shared/_MANIFEST-group-2026-12-06.sales.json'],
      notified: 0,
    });
    const [manifest] = await manifestsIn('lake/raw/shared');
    expect(manifest).toMatchObject({ id: 'group-2026-12-06.sales', kind: 'group', route: null });
    expect([...manifest!.files].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'a_1.csv', size: 2, crc32c: crc32cOf('a\n'), source: 'land/in/a_1.csv', route: 'ra' },
      { name: 'b_1.csv', size: 3, crc32c: crc32cOf('bb\n'), source: 'land/in/b_1.csv', route: 'rb' },
    ]);
    // the same group signalled again never replaces its manifest: the failure is reported, nothing thrown
    const again = await signalFromContext(f.ctx, { id: 'group-2026-12-06.sales', kind: 'group', deliveries });
    expect(again).toMatchObject({ manifests: [], manifestFailures: 1 });
    expect(again.errors[0]).toMatchObject({ kind: 'manifest', code: 'E_PRECONDITION', route: 'ra,rb' });
  });
});
