// Per-drain manifests on S3 (fauxqs) and notify messages to SQS (the same
// fauxqs): a drain from local folders into an S3 bucket writes its manifest
// there with one PUT that refuses to replace, and a rescan of the bucket,
// itself a source, routes the data files on and leaves the manifest alone.
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { drain } from '../../src/drains/batch.js';
import { scan } from '../../src/modes/scan.js';
import { openQueue } from '../../src/queue/url.js';
import type { Queue } from '../../src/queue/types.js';
import { openContext, type Context } from '../../src/runtime/context.js';
import { crc32cOf } from '../../src/storage/checksum.js';
import { silentLogger } from '../../src/util/log.js';
import type { Manifest } from '../../src/signals/manifest.js';
import type { Workspace } from '../helpers/workspace.js';
import {
  cloudWorkspace,
  configOf,
  s3Bucket,
  s3Get,
  s3Head,
  s3Keys,
  startCloud,
  type Cloud,
} from '../integration/cloud-fixture.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,write_manifest,notify';

describe('drain manifests on S3 and notify to SQS (fauxqs)', () => {
  let cloud: Cloud;
  let sqs: SQSClient;
  let ws: Workspace | undefined;
  let ctx: Context | undefined;
  let queue: Queue | undefined;

  beforeAll(async () => {
    cloud = await startCloud();
    sqs = new SQSClient({
      region: cloud.fauxqs.region,
      endpoint: cloud.fauxqs.endpoint,
      credentials: cloud.fauxqs.credentials,
    });
  });
  afterAll(async () => {
    sqs?.destroy();
    await cloud?.stop();
  });
  afterEach(async () => {
    await queue?.close();
    await ctx?.close();
    await ws?.remove();
    queue = ctx = ws = undefined;
  });

  it('writes _MANIFEST-<drain id>.json into the S3 folder, sends its message to SQS, and a rescan of the bucket copies only the data files', async () => {
    const lake = await s3Bucket(cloud, 'lake');
    const archive = await s3Bucket(cloud, 'arch');
    const created = await sqs.send(new CreateQueueCommand({ QueueName: `loads-${lake}` }));
    const notify = `${created.QueueUrl!.replace(/^https?:/, 'sqs:')}?endpoint=${cloud.fauxqs.endpoint}`;
    ws = await cloudWorkspace(
      cloud,
      `${HEADER}
land,in,^sale_,lake,${lake},sales,move,sales,true,${notify}
lake,${lake},\\.csv$,lake,${archive},{path},copy,archive,,
`,
    );
    await ws.put('land/in/sale_1.csv', 'fr,1\n');
    await ws.put('land/in/sale_2.csv', 'de,22\n');
    ctx = await openContext(await configOf(ws), silentLogger());
    queue = await openQueue(undefined, { stateDir: ctx.config.stateDir });
    await queue.publish([
      { project: 'land', bucket: 'in', key: 'sale_1.csv', origin: 'manual' },
      { project: 'land', bucket: 'in', key: 'sale_2.csv', origin: 'manual' },
    ]);

    const report = await drain(ctx, queue);
    expect(report.signalErrors).toEqual([]);
    expect(report).toMatchObject({
      routed: 2,
      acked: 2,
      notified: 1,
      manifestFailures: 0,
      notifyFailures: 0,
    });
    const key = `sales/_MANIFEST-${report.id}.json`;
    expect(report.manifests).toEqual([`lake/${lake}/${key}`]);
    const manifest = JSON.parse((await s3Get(cloud, lake, key))!.toString('utf8')) as Manifest;
    expect(manifest).toMatchObject({ id: report.id, kind: 'drain', route: 'sales' });
    expect([...manifest.files].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'sale_1.csv', size: 5, crc32c: crc32cOf('fr,1\n'), source: 'land/in/sale_1.csv' },
      { name: 'sale_2.csv', size: 6, crc32c: crc32cOf('de,22\n'), source: 'land/in/sale_2.csv' },
    ]);
    const head = await s3Head(cloud, lake, key);
    expect(head.ContentType).toBe('application/json');
    expect(head.Metadata?.['switchyard-manifest']).toBe(report.id);

    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: created.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    expect(received.Messages).toHaveLength(1);
    const message = JSON.parse(received.Messages![0]!.Body!) as { files: unknown[] };
    expect(message).toMatchObject({
      id: report.id,
      kind: 'drain',
      route: 'sales',
      manifests: [`lake/${lake}/${key}`],
    });
    expect(message.files).toHaveLength(2);

    const rescan = await scan(ctx, { concurrency: 2 });
    expect(rescan).toMatchObject({ routed: 2, failed: 0 });
    expect(await s3Keys(cloud, archive)).toEqual(['sales/sale_1.csv', 'sales/sale_2.csv']);
    expect(await s3Keys(cloud, lake)).toEqual([key, 'sales/sale_1.csv', 'sales/sale_2.csv'].sort());
  });
});
