// A transformation between two GCS buckets (the JSON API double): never a
// rewrite, the output streamed through the process, its CRC32C in the
// provenance; a ledger-less re-run judges the destination by it.
import { gunzipSync } from 'node:zlib';
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
  removeLedger,
  startCloud,
  type Cloud,
} from './cloud-fixture.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,transform';

describe('transformations on GCS (JSON API double)', () => {
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

  it('GCS → GCS gzip: no rewrite, .gz with the output CRC32C in its provenance, the source moved; the same bytes landing again are delivered without a write', async () => {
    const landing = bucketName('landing');
    const archive = bucketName('archive');
    ws = await cloudWorkspace(cloud, `${HEADER}\nfin,${landing},\\.csv$,arch,${archive},z,move,gzip\n`);
    const body = Buffer.from('id,v\n'.repeat(20_000));
    cloud.gcs.put(landing, 'ledger.csv', body);
    const rewritesBefore = cloud.gcs.calls['objects.rewrite'] ?? 0;

    ctx = await openContext(await configOf(ws), silentLogger());
    expect(await scan(ctx, { concurrency: 1 })).toMatchObject({ routed: 1, failed: 0, dead: 0 });
    expect((cloud.gcs.calls['objects.rewrite'] ?? 0) - rewritesBefore).toBe(0);
    const stored = cloud.gcs.get(archive, 'z/ledger.csv.gz');
    expect(stored && gunzipSync(stored.body).equals(body)).toBe(true);
    expect(stored?.metadata).toMatchObject({
      'switchyard-transform': 'gzip',
      'switchyard-crc32c': crc32cOf(stored!.body),
    });
    expect(cloud.gcs.get(landing, 'ledger.csv')).toBeUndefined();

    // the same bytes land again (a new generation) and the ledger is gone: the destination holds the
    // transformed bytes of this generation too (its stated CRC32C is the output's), so nothing is written
    await ctx.close();
    ctx = undefined;
    await removeLedger(ws);
    const again = cloud.gcs.put(landing, 'ledger.csv', body);
    ctx = await openContext(await configOf(ws), silentLogger());
    expect(await scan(ctx, { concurrency: 1 })).toMatchObject({ routed: 1, dead: 0 });
    const second = cloud.gcs.get(archive, 'z/ledger.csv.gz');
    expect(second?.body.equals(stored!.body)).toBe(true);
    expect(second?.metadata?.['switchyard-generation']).toBe(stored?.metadata?.['switchyard-generation']);
    expect(again.generation).not.toBe(stored?.metadata?.['switchyard-generation']);
  });
});
