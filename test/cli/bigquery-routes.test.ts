// `--routes bq://PROJECT.DATASET.TABLE` on the commands, against the
// protocol-level double of the BigQuery REST API (BIGQUERY_EMULATOR_HOST).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBigQueryRestDouble, type BigQueryRestDouble } from '../doubles/bigquery-rest-double.js';
import { Workspace } from '../helpers/workspace.js';

const COLUMNS = [
  'source_project',
  'source_bucket',
  'source_file_mask',
  'destination_project',
  'destination_bucket',
  'destination_directory',
].map((name) => ({ name, type: 'STRING' }));
const SEED = [
  ['source_bucket', 'raw_data', 'finance.*\\.csv', 'finance', 'raw_data', null],
  ['source_bucket', 'raw_data', 'sale.*\\.csv', 'sales', 'raw_data', null],
];
const TABLE = 'bq://proj-a.routing.routes';

describe('--routes bq://', () => {
  let bq: BigQueryRestDouble;
  let ws: Workspace | undefined;
  beforeAll(async () => {
    bq = await startBigQueryRestDouble();
  });
  afterAll(async () => bq?.stop());
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  async function workspace(): Promise<Workspace> {
    bq.pageSize = 1;
    bq.setTable('proj-a.routing.routes', COLUMNS, SEED);
    ws = await Workspace.create();
    ws.env = { BIGQUERY_EMULATOR_HOST: bq.endpoint };
    return ws;
  }

  it('validate reads every page of the table', async () => {
    const w = await workspace();
    const run = await w.run('validate', '--routes', TABLE);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toContain('referential OK: 2 route(s)');
  });

  it('validate names the table and the row position of a bad row', async () => {
    const w = await workspace();
    bq.setTable('proj-a.routing.routes', COLUMNS, [
      ...SEED,
      ['source_bucket', 'raw_data', 'finance(', 'x', 'y', ''],
    ]);
    const run = await w.run('validate', '--routes', TABLE);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${TABLE}:3: source_file_mask:`);
  });

  it('scan routes by the table', async () => {
    const w = await workspace();
    await w.put('source_bucket/raw_data/finance_a.csv', 'a\n');
    await w.put('source_bucket/raw_data/sales_b.csv', 'b\n');
    const run = await w.run('scan', '--routes', TABLE, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ routed: 2 });
    expect(await w.files()).toEqual(['finance/raw_data/finance_a.csv', 'sales/raw_data/sales_b.csv']);
  });

  it('explain and diff take the table too', async () => {
    const w = await workspace();
    const explain = await w.run(
      'explain',
      '--routes',
      TABLE,
      'source_bucket/raw_data/finance_x.csv',
      '--json',
    );
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.json()).toMatchObject({ matches: [expect.objectContaining({ file: TABLE, line: 1 })] });
    const same = await w.run('diff', 'routes.csv', TABLE, '--json');
    expect(same.code, same.stderr).toBe(0);
    expect(same.json()).toMatchObject({ rows: { added: 0, removed: 0, changed: 0 } });
    bq.setTable('proj-a.routing.routes', COLUMNS, [
      SEED[0]!,
      ['source_bucket', 'raw_data', 'x.*\\.csv', 'sales', 'raw_data', null],
    ]);
    const changed = await w.run('diff', 'routes.csv', TABLE);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain(`${TABLE}:2`);
  });

  it.each([
    ['a missing table', 'bq://proj-a.routing.absent', 'no referential at bq://proj-a.routing.absent'],
    [
      'a malformed URI',
      'bq://routing.routes',
      'expected bq://PROJECT.DATASET.TABLE, got "bq://routing.routes"',
    ],
  ])('%s is an error naming the URI', async (_what, uri, message) => {
    const w = await workspace();
    const run = await w.run('validate', '--routes', uri);
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain(message);
  });

  it('permission denied is an error naming the table and the role', async () => {
    const w = await workspace();
    bq.setTable('proj-a.routing.denied', COLUMNS, SEED);
    bq.deny('proj-a.routing.denied');
    const run = await w.run('scan', '--routes', 'bq://proj-a.routing.denied');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('bq://proj-a.routing.denied');
    expect(run.stderr).toContain('roles/bigquery.dataViewer');
  });
});
