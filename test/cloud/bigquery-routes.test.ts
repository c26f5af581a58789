// The cloud entry points take SWITCHYARD_ROUTES=bq://PROJECT.DATASET.TABLE:
// the referential is read from BigQuery (here the protocol-level double of
// its REST API, reached through BIGQUERY_EMULATOR_HOST) and re-read on the poll.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  cloudRuntime,
  handleLambdaEvent,
  type CloudRuntimeHolder,
} from '../../src/triggers/cloud/handler.js';
import { startBigQueryRestDouble, type BigQueryRestDouble } from '../doubles/bigquery-rest-double.js';
import { Workspace } from '../helpers/workspace.js';
import { CSV } from '../http/harness.js';
import { folderProjectsYaml } from './env.js';

const COLUMNS = [
  'source_project',
  'source_bucket',
  'source_file_mask',
  'destination_project',
  'destination_bucket',
  'destination_directory',
].map((name) => ({ name, type: 'STRING' }));

function s3Record(bucket: string, key: string): Record<string, unknown> {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'eu-west-3',
    eventTime: new Date().toISOString(),
    eventName: 'ObjectCreated:Put',
    s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key), size: CSV.length } },
  };
}

describe('cloud entry points: SWITCHYARD_ROUTES=bq://', () => {
  let bq: BigQueryRestDouble;
  let ws: Workspace | undefined;
  let runtime: CloudRuntimeHolder | undefined;
  beforeAll(async () => {
    bq = await startBigQueryRestDouble();
  });
  afterAll(async () => bq?.stop());
  afterEach(async () => {
    await runtime?.close();
    await ws?.remove();
    ws = runtime = undefined;
  });

  it('routes by the table, and by its new rows once the table changes', async () => {
    bq.setTable('proj-c.routing.routes', COLUMNS, [
      ['source_bucket', 'raw_data', 'finance.*\\.csv', 'finance', 'raw_data', null],
    ]);
    ws = await Workspace.create();
    await writeFile(
      path.join(ws.dir, 'switchyard.yaml'),
      folderProjectsYaml(['source_bucket', 'finance', 'sales']),
    );
    runtime = cloudRuntime(
      {
        SWITCHYARD_CONFIG: path.join(ws.dir, 'switchyard.yaml'),
        SWITCHYARD_ROUTES: 'bq://proj-c.routing.routes',
        SWITCHYARD_DATA: ws.data,
        SWITCHYARD_STATE: path.join(ws.dir, '.switchyard'),
        SWITCHYARD_LOG_LEVEL: 'silent',
        SWITCHYARD_ROUTES_POLL: '0',
        BIGQUERY_EMULATOR_HOST: bq.endpoint,
      },
      ws.dir,
    );
    const ready = await runtime.get();
    await ws.put('source_bucket/raw_data/finance_a.csv', CSV);
    await ws.put('source_bucket/raw_data/sales_b.csv', CSV);
    const first = await handleLambdaEvent(ready, {
      Records: [s3Record('raw_data', 'finance_a.csv'), s3Record('raw_data', 'sales_b.csv')],
    });
    expect(first).toMatchObject({ kind: 'ok', events: [{ outcome: 'routed' }, { outcome: 'unrouted' }] });

    bq.setTable('proj-c.routing.routes', COLUMNS, [
      ['source_bucket', 'raw_data', 'finance.*\\.csv', 'finance', 'raw_data', null],
      ['source_bucket', 'raw_data', 'sale.*\\.csv', 'sales', 'raw_data', null],
    ]);
    expect(await ready.ctx.referentialSource.reload()).toMatchObject({ changed: true });
    const second = await handleLambdaEvent(ready, { Records: [s3Record('raw_data', 'sales_b.csv')] });
    expect(second).toMatchObject({ kind: 'ok', events: [{ outcome: 'routed' }] });
    expect(await ws.files()).toEqual(['finance/raw_data/finance_a.csv', 'sales/raw_data/sales_b.csv']);
  });
});
