// A complete group tells downstream on local folders (issue [12]): rows with
// `write_manifest` get `_MANIFEST-group-….json` in each destination folder
// the group's members went to, rows with `notify` one message per group;
// nothing for a waiting group, nothing twice, and a failed message undoes
// no delivery.
import { readdir } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crc32cOf } from '../../src/storage/checksum.js';
import { Notifier } from '../../src/signals/notifier.js';
import type { Manifest } from '../../src/signals/manifest.js';
import type { NotifyMessage } from '../../src/signals/signal.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';
import { startHttpsSink, type HttpsSink } from '../signals/https-server.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,complete_when,write_manifest,notify';

describe('a complete group writes its manifest and notifies (local folders)', () => {
  let f: RouterFixture | undefined;
  let sink: HttpsSink;
  let notifier: Notifier | undefined;
  beforeAll(async () => {
    sink = await startHttpsSink();
  });
  afterAll(async () => sink.close());
  afterEach(async () => {
    await f?.close();
    await notifier?.close();
    f = undefined;
    notifier = undefined;
    sink.bodies.length = 0;
    sink.status = 204;
  });

  const route = (location: string) => f!.ctx.router.route(f!.event(location));
  const manifestsIn = async (location: string): Promise<Manifest[]> => {
    const names = (await readdir(f!.ws.file(location))).filter((n) => n.startsWith('_MANIFEST-')).sort();
    return Promise.all(
      names.map(async (n) => JSON.parse((await f!.ws.read(`${location}/${n}`)).toString('utf8')) as Manifest),
    );
  };

  it('the marker completes the group: one manifest per destination folder of the row, one message, members only', async () => {
    notifier = new Notifier({ ca: sink.ca, backoffMs: 1 });
    f = await routerFixture(
      `${HEADER}
land,in,^(?P<region>[a-z]+)_.*\\.csv$,wh,raw,{region}/{path},move,batch,^_SUCCESS$,true,${sink.url}
land,in,\\.csv$,arch,all,{path},copy,archive,,false,
`,
      { notifier },
    );
    await f.ws.put('land/in/day1/fr_1.csv', 'fr,1\n');
    await f.ws.put('land/in/day1/de_1.csv', 'de,22\n');
    expect((await route('land/in/day1/fr_1.csv')).outcome).toBe('waiting');
    expect(sink.bodies).toEqual([]);

    await f.ws.put('land/in/day1/_SUCCESS', '');
    expect((await route('land/in/day1/_SUCCESS')).outcome).toBe('routed');
    const fr = await manifestsIn('wh/raw/fr/day1');
    const de = await manifestsIn('wh/raw/de/day1');
    expect(fr).toHaveLength(1);
    expect(de).toHaveLength(1);
    expect(fr[0]).toMatchObject({
      kind: 'group',
      route: 'batch',
      files: [{ name: 'fr_1.csv', size: 5, crc32c: crc32cOf('fr,1\n'), source: 'land/in/day1/fr_1.csv' }],
    });
    expect(fr[0]!.id).toMatch(/^group-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(de[0]!.id).toBe(fr[0]!.id);
    expect(de[0]!.files.map((x) => x.name)).toEqual(['de_1.csv']);
    // the archive row (no write_manifest) got its copies and no manifest
    expect(await f.ws.files()).toContain('arch/all/day1/fr_1.csv');
    expect((await readdir(f.ws.file('arch/all/day1'))).some((n) => n.startsWith('_MANIFEST-'))).toBe(false);

    expect(sink.bodies).toHaveLength(1);
    const message = sink.bodies[0] as NotifyMessage;
    expect(message).toMatchObject({ id: fr[0]!.id, kind: 'group', route: 'batch' });
    expect(message.files.map((x) => x.destination).sort()).toEqual([
      'wh/raw/de/day1/de_1.csv',
      'wh/raw/fr/day1/fr_1.csv',
    ]);
    expect(message.manifests).toHaveLength(2);

    // the marker again, its source gone: nothing more written or sent
    expect((await route('land/in/day1/_SUCCESS')).outcome).not.toBe('routed');
    expect(await manifestsIn('wh/raw/fr/day1')).toHaveLength(1);
    expect(sink.bodies).toHaveLength(1);
  });

  it('a group carried again (copy) writes nothing new; a failed message keeps the group delivered', async () => {
    notifier = new Notifier({ ca: sink.ca, attempts: 2, backoffMs: 1 });
    f = await routerFixture(
      `${HEADER}\nland,in,\\.csv$,wh,raw,{path},copy,batch,^_SUCCESS$,true,${sink.url}\n`,
      { notifier },
    );
    sink.status = 500;
    await f.ws.put('land/in/d/a.csv', 'a');
    await f.ws.put('land/in/d/_SUCCESS', '');
    const done = await route('land/in/d/_SUCCESS');
    expect(done.outcome).toBe('routed');
    expect(sink.bodies.length).toBe(2); // tried twice, refused both times
    expect(await f.ws.files()).toEqual([
      'land/in/d/_SUCCESS',
      'land/in/d/a.csv',
      expect.stringMatching(/^wh\/raw\/d\/_MANIFEST-group-.*\.json$/),
      'wh/raw/d/_SUCCESS',
      'wh/raw/d/a.csv',
    ]);
    sink.status = 204;
    expect((await route('land/in/d/a.csv')).outcome).toBe('duplicate');
    expect((await route('land/in/d/_SUCCESS')).outcome).toBe('duplicate');
    expect(await manifestsIn('wh/raw/d')).toHaveLength(1);
    expect(sink.bodies.length).toBe(2);
  });
});
