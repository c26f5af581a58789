// destination_name and timezone with S3 backends (fauxqs, a real S3 protocol
// server in a child process): a local file renamed into a bucket, a
// server-side copy under a new name, and a rename inside the source's own
// folder that does not rename its own output again.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../helpers/workspace.js';
import {
  cloudWorkspace,
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
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,destination_name,timezone';

interface ExplainJson {
  created: string;
  exists: boolean;
  matches: Array<{ destination: string; destinationName: string }>;
}

/** Date fields of `at` in Asia/Kolkata, by arithmetic (UTC+05:30, no daylight saving time). */
function kolkata(at: Date): { day: string; hour: string } {
  const t = new Date(at.getTime() + 5.5 * 3600_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return {
    day: `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}`,
    hour: p(t.getUTCHours()),
  };
}

describe('destination_name and timezone with S3 backends (fauxqs)', () => {
  let cloud: Cloud;
  let ws: Workspace | undefined;

  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(async () => cloud?.stop());
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  it('fs → S3: the object lands under the name the template makes, dates in the row zone', async () => {
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(
      cloud,
      `${HEADER}\nland,in,^sale_.*\\.csv$,lake,${lake},sales/{yyyy}{mm}{dd},move,{stem}_{yyyy}{mm}{dd}{hh}.{ext},Asia/Kolkata\n`,
    );
    await ws.put('land/in/sale_fr.csv', 'fr,42\n');
    const e = (await ws.run('explain', '--json', 'land/in/sale_fr.csv')).json<ExplainJson>();
    const { day, hour } = kolkata(new Date(e.created));
    const key = `sales/${day}/sale_fr_${day}${hour}.csv`;
    expect(e.matches).toEqual([
      expect.objectContaining({
        destination: `lake/${lake}/${key}`,
        destinationName: `sale_fr_${day}${hour}.csv`,
      }),
    ]);

    const run = await ws.run('scan', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<ScanJson>()).toMatchObject({ routed: 1, failed: 0 });
    expect(await s3Keys(cloud, lake)).toEqual([key]);
    expect(await s3Get(cloud, lake, key)).toEqual(Buffer.from('fr,42\n'));
    expect((await s3Head(cloud, lake, key)).Metadata?.['switchyard-source']).toBe('land/in/sale_fr.csv');
    expect(await ws.files()).toEqual([]);
    expect((await ws.run('scan', '--json')).json<ScanJson>()).toMatchObject({ routed: 0, failed: 0 });
  });

  it('S3 → S3: a server-side copy under a name built from a mask group and the date', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    ws = await cloudWorkspace(
      cloud,
      `${HEADER}\nsrc,${landing},^(?P<country>[a-z]{2})_sales\\.csv$,lake,${lake},{country},copy,sales_{yyyy}{mm}{dd}.{ext},Asia/Kolkata\n`,
    );
    await s3Put(cloud, landing, 'drop/fr_sales.csv', 'fr\n');
    await s3Put(cloud, landing, 'drop/de_sales.csv', 'de\n');
    const created = new Date((await s3Head(cloud, landing, 'drop/fr_sales.csv')).LastModified!);
    const e = (await ws.run('explain', '--json', `src/${landing}/drop/fr_sales.csv`)).json<ExplainJson>();
    expect(new Date(e.created).getTime()).toBe(created.getTime());
    const fr = `fr/sales_${kolkata(created).day}.csv`;
    expect(e.matches).toEqual([expect.objectContaining({ destination: `lake/${lake}/${fr}` })]);

    const run = await ws.run('scan', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<ScanJson>()).toMatchObject({ routed: 2, failed: 0 });
    const deCreated = new Date((await s3Head(cloud, landing, 'drop/de_sales.csv')).LastModified!);
    const de = `de/sales_${kolkata(deCreated).day}.csv`;
    expect(await s3Keys(cloud, lake)).toEqual([de, fr].sort());
    expect(await s3Get(cloud, lake, fr)).toEqual(Buffer.from('fr\n'));
    expect(await s3Get(cloud, lake, de)).toEqual(Buffer.from('de\n'));
    expect(await s3Keys(cloud, landing)).toEqual(['drop/de_sales.csv', 'drop/fr_sales.csv']);
    expect((await ws.run('scan', '--json')).json<ScanJson>()).toMatchObject({ routed: 0, failed: 0 });
  });

  it('S3: a row renaming in its own folder delivers once; its output, which its mask matches, is left alone', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    ws = await cloudWorkspace(
      cloud,
      `${HEADER}\nsrc,${landing},\\.csv$,src,${landing},{path},move,{stem}_done.{ext},\n`,
    );
    await s3Put(cloud, landing, 'q1/a.csv', 'a');
    const first = await ws.run('scan', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(first.json<ScanJson>()).toMatchObject({ routed: 1, failed: 0 });
    expect(await s3Keys(cloud, landing)).toEqual(['q1/a_done.csv']);
    const again = await ws.run('scan', '--json');
    expect(again.json<ScanJson>()).toMatchObject({ routed: 0, failed: 0 });
    expect(await s3Keys(cloud, landing)).toEqual(['q1/a_done.csv']);
  });
});
