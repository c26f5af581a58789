// `scan --prefix` on every backend: the prefix reaches each store's listing
// (fs walk, GCS `prefix`, S3 `Prefix` on the wire), and only keys under it move.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FsStore } from '../../src/storage/fs/store.js';
import { GcsStore } from '../../src/storage/gcs/store.js';
import { LeanS3Client } from '../../src/storage/s3/lean-client.js';
import { S3Store } from '../../src/storage/s3/store.js';
import type { Workspace } from '../helpers/workspace.js';
import {
  bucketName,
  cloudWorkspace,
  HEADER,
  s3Bucket,
  s3Keys,
  s3Put,
  startCloud,
  type Cloud,
  type ScanJson,
} from '../integration/cloud-fixture.js';

describe('scan --prefix on fs, GCS and S3', () => {
  let cloud: Cloud;
  let ws: Workspace | undefined;

  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(async () => cloud?.stop());
  afterEach(async () => {
    vi.restoreAllMocks();
    await ws?.remove();
    ws = undefined;
  });

  it('lists each source bucket by the prefix and routes only what is under it', async () => {
    const s3Source = await s3Bucket(cloud, 'landing');
    const gcsSource = bucketName('landing');
    ws = await cloudWorkspace(
      cloud,
      [
        HEADER,
        'land,in,\\.csv$,out,fs,{path},move',
        `src,${s3Source},\\.csv$,out,s3,{path},move`,
        `fin,${gcsSource},\\.csv$,out,gcs,{path},move`,
        '',
      ].join('\n'),
    );
    for (const key of ['2024/06/a.csv', '2023/b.csv', '2024.csv']) {
      await ws.put(`land/in/${key}`, key);
      await s3Put(cloud, s3Source, key, key);
      cloud.gcs.put(gcsSource, key, Buffer.from(key));
    }
    const lists = [FsStore, GcsStore, S3Store].map((store) => vi.spyOn(store.prototype, 'list'));
    const s3List = vi.spyOn(LeanS3Client.prototype, 'listObjectsV2');

    const run = await ws.run('scan', '--prefix', '2024/', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<ScanJson>()).toMatchObject({ routed: 3, listed: 3, failed: 0 });
    for (const list of lists) {
      expect(list.mock.calls.length).toBeGreaterThan(0);
      for (const [, options] of list.mock.calls) expect(options?.prefix).toBe('2024/');
    }
    // the request S3 receives: the lean client's ListObjectsV2 (query `prefix`)
    expect(s3List.mock.calls.map(([input]) => input.Prefix)).toEqual(['2024/']);

    expect((await ws.files()).filter((f) => f.startsWith('out/'))).toEqual([
      'out/fs/2024/06/a.csv',
      'out/gcs/2024/06/a.csv',
      'out/s3/2024/06/a.csv',
    ]);
    expect(await s3Keys(cloud, s3Source)).toEqual(['2023/b.csv', '2024.csv']);
  });
});
