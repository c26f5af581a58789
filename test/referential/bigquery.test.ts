// The referential kept in a BigQuery table (bq://PROJECT.DATASET.TABLE), read
// through @google-cloud/bigquery against the protocol-level test double of
// the REST API (test/doubles/bigquery-rest-double.ts): tables.get for the
// version and schema, tabledata.list paged by pageToken for the rows.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigFile } from '../../src/config/load.js';
import { BigQueryTableReader } from '../../src/referential/bigquery-reader.js';
import { parseBigQueryUri } from '../../src/referential/bigquery-uri.js';
import { referentialReaderFor } from '../../src/referential/readers.js';
import {
  loadReferentialAt,
  openReferentialSource,
  type ReferentialSource,
} from '../../src/referential/source.js';
import {
  startBigQueryRestDouble,
  type BigQueryRestDouble,
  type DoubleCell,
  type DoubleField,
} from '../doubles/bigquery-rest-double.js';

const SIX: DoubleField[] = [
  'source_project',
  'source_bucket',
  'source_file_mask',
  'destination_project',
  'destination_bucket',
  'destination_directory',
].map((name) => ({ name, type: 'STRING' }));
const OPTIONAL: DoubleField[] = [
  { name: 'action', type: 'STRING' },
  { name: 'enabled', type: 'BOOL' },
  { name: 'route_id', type: 'INT64' },
];

function row(mask: string, destination = 'raw', extra: DoubleCell[] = []): DoubleCell[] {
  return ['land', 'in', mask, 'out', destination, null, ...extra];
}

describe('parseBigQueryUri', () => {
  it.each([
    ['bq://my-project.routing.routes', { projectId: 'my-project', datasetId: 'routing', tableId: 'routes' }],
    [
      'bq://example.com:my-project.routing.routes_v2',
      { projectId: 'example.com:my-project', datasetId: 'routing', tableId: 'routes_v2' },
    ],
  ])('splits %s', (uri, parts) => {
    expect(parseBigQueryUri(uri)).toEqual({ uri, ...parts });
  });

  it.each([
    'bq://routing.routes',
    'bq://my-project.rout-ing.routes',
    'bq://My_Project.routing.routes',
    'bq://p1234.d.',
    'bq://',
  ])('refuses %s with E_CONFIG_INVALID naming the URI', (uri) => {
    expect(() => parseBigQueryUri(uri)).toThrow(
      expect.objectContaining({ code: 'E_CONFIG_INVALID', details: expect.objectContaining({ value: uri }) }),
    );
  });
});

describe('switchyard.yaml with routes: bq://', () => {
  it('needs no routesProject; one given must be a gcs project (its keyFile reads the table)', async () => {
    const table = 'routes: bq://proj-a.routing.routes\n';
    await expect(parseConfigFile(table, 'f')).resolves.toMatchObject({
      routes: 'bq://proj-a.routing.routes',
    });
    await expect(
      parseConfigFile(
        `${table}routesProject: lake\nprojects:\n  lake: { backend: gcs, keyFile: k.json }\n`,
        'f',
      ),
    ).resolves.toMatchObject({ routesProject: 'lake' });
    await expect(
      parseConfigFile(
        `${table}routesProject: aws\nprojects:\n  aws: { backend: s3, region: eu-west-3 }\n`,
        'f',
      ),
    ).rejects.toThrow(/routesProject.*must name a gcs project/s);
  });
});

describe('bq:// referential against the REST double', () => {
  let bq: BigQueryRestDouble;
  let source: ReferentialSource | undefined;
  const access = () => ({
    projects: {},
    storeFor: () => Promise.reject(new Error('no store')),
    env: { BIGQUERY_EMULATOR_HOST: bq.endpoint },
  });

  beforeAll(async () => {
    bq = await startBigQueryRestDouble();
  });
  afterAll(async () => bq?.stop());
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    bq.pageSize = 1000;
    bq.onPage = undefined;
    for (const key of Object.keys(bq.calls)) delete bq.calls[key];
  });

  it('reads every page of tabledata.list, BOOL and INT64 as the CSV text, NULL as empty, lines as row positions', async () => {
    bq.pageSize = 2;
    const rows = Array.from({ length: 5 }, (_, i) => row(`\\.f${i}$`, 'raw', ['copy', i !== 3, 100 + i]));
    bq.setTable('proj-a.routing.paged', [...SIX, ...OPTIONAL], rows);
    const { referential } = await loadReferentialAt('bq://proj-a.routing.paged', access());
    expect(bq.calls['tabledata.list']).toBe(3);
    expect(referential.routes.map((r) => [r.line, r.id, r.action, r.enabled, r.mask])).toEqual([
      [1, '100', 'copy', true, '\\.f0$'],
      [2, '101', 'copy', true, '\\.f1$'],
      [3, '102', 'copy', true, '\\.f2$'],
      [4, '103', 'copy', false, '\\.f3$'],
      [5, '104', 'copy', true, '\\.f4$'],
    ]);
    expect(referential.routes[0]).toMatchObject({
      file: 'bq://proj-a.routing.paged',
      destinationDirectory: '',
    });
  });

  it('a problem names the table and the row position', async () => {
    bq.setTable('proj-a.routing.bad', SIX, [row('\\.csv$'), row('finance(')]);
    await expect(loadReferentialAt('bq://proj-a.routing.bad', access())).rejects.toMatchObject({
      code: 'E_REFERENTIAL_INVALID',
      problems: [
        expect.objectContaining({ file: 'bq://proj-a.routing.bad', line: 2, column: 'source_file_mask' }),
      ],
    });
  });

  it('a missing table is E_REFERENTIAL_MISSING naming the URI', async () => {
    await expect(loadReferentialAt('bq://proj-a.routing.absent', access())).rejects.toMatchObject({
      code: 'E_REFERENTIAL_MISSING',
      details: { location: 'bq://proj-a.routing.absent' },
    });
  });

  it('a missing required column is refused, named', async () => {
    bq.setTable('proj-a.routing.short', SIX.slice(0, 5), [['land', 'in', '\\.csv$', 'out', 'raw']]);
    await expect(loadReferentialAt('bq://proj-a.routing.short', access())).rejects.toMatchObject({
      code: 'E_REFERENTIAL_INVALID',
      problems: [
        expect.objectContaining({
          file: 'bq://proj-a.routing.short',
          line: 1,
          column: 'destination_directory',
        }),
      ],
    });
  });

  it('a referential column of a type with no CSV text (RECORD, REPEATED) is refused; other such columns are left out', async () => {
    bq.setTable(
      'proj-a.routing.nested',
      [...SIX, { name: 'action', type: 'STRING', mode: 'REPEATED' }],
      [row('\\.csv$', 'raw', ['copy'])],
    );
    await expect(loadReferentialAt('bq://proj-a.routing.nested', access())).rejects.toMatchObject({
      code: 'E_REFERENTIAL_INVALID',
      problems: [
        expect.objectContaining({ column: 'action', message: expect.stringContaining('REPEATED STRING') }),
      ],
    });
    bq.setTable(
      'proj-a.routing.audit',
      [...SIX, { name: 'audit', type: 'RECORD' }, { name: 'x_updated', type: 'TIMESTAMP' }],
      [row('\\.csv$', 'raw', ['{}', '1767225600000000'])],
    );
    const { referential } = await loadReferentialAt('bq://proj-a.routing.audit', access());
    expect(referential.routes).toHaveLength(1);
  });

  it('permission denied is E_BACKEND_PERMANENT naming the URI and the role needed', async () => {
    bq.setTable('proj-a.routing.secret', SIX, [row('\\.csv$')]);
    bq.deny('proj-a.routing.secret');
    await expect(loadReferentialAt('bq://proj-a.routing.secret', access())).rejects.toMatchObject({
      code: 'E_BACKEND_PERMANENT',
      details: expect.objectContaining({ source: 'bq://proj-a.routing.secret', status: 403 }),
      message: expect.stringContaining('roles/bigquery.dataViewer'),
    });
  });

  it('routesProject must be a gcs project (its key file reads the table)', () => {
    expect(() =>
      referentialReaderFor('bq://proj-a.routing.routes', {
        ...access(),
        project: 'aws',
        projects: { aws: { backend: 's3' } as never },
      }),
    ).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
  });

  it('a table changed between two pages is not taken: read() gives undefined, the next read the new version', async () => {
    bq.pageSize = 1;
    bq.setTable('proj-a.routing.moving', SIX, [row('\\.a$'), row('\\.b$')]);
    const reader = new BigQueryTableReader(parseBigQueryUri('bq://proj-a.routing.moving'), {
      emulatorHost: bq.endpoint,
    });
    bq.onPage = () => {
      bq.onPage = undefined;
      bq.setTable('proj-a.routing.moving', SIX, [row('\\.a$'), row('\\.b$'), row('\\.c$')]);
    };
    expect(await reader.rows()).toBeUndefined();
    const read = await reader.rows();
    expect(read?.rows.map((r) => r.fields.source_file_mask)).toEqual(['\\.a$', '\\.b$', '\\.c$']);
    expect(read?.version).toBe((await reader.state())?.version);
  });

  it('hot reload on the poll: an unchanged table is not listed again; a changed one brings its new rows', async () => {
    bq.setTable('proj-a.routing.live', SIX, [row('\\.csv$')]);
    source = await openReferentialSource({ location: 'bq://proj-a.routing.live', ...access(), pollMs: 0 });
    expect(source.current().routes).toHaveLength(1);
    const listed = bq.calls['tabledata.list'];
    expect(await source.reload()).toEqual({ changed: false, problems: [] });
    expect(bq.calls['tabledata.list']).toBe(listed);
    bq.setTable('proj-a.routing.live', SIX, [row('\\.csv$'), row('\\.txt$', 'text')]);
    expect(await source.reload()).toMatchObject({ changed: true });
    expect(source.current().routes.map((r) => r.destinationBucket)).toEqual(['raw', 'text']);
    expect(bq.calls['tabledata.list']).toBe(listed! + 1);
  });

  it('hot reload refuses an invalid or vanished table and keeps the last good routes', async () => {
    bq.setTable('proj-a.routing.flaky', SIX, [row('\\.csv$')]);
    source = await openReferentialSource({ location: 'bq://proj-a.routing.flaky', ...access(), pollMs: 0 });
    const before = source.current();
    bq.setTable('proj-a.routing.flaky', SIX, [row('finance(')]);
    expect((await source.reload()).changed).toBe(false);
    bq.dropTable('proj-a.routing.flaky');
    const gone = await source.reload();
    expect(gone.problems[0]?.message).toContain('gone');
    expect(source.current()).toBe(before);
    expect(source.reloadFailures).toBe(2);
  });
});
