import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferentialInvalidError } from '../../src/model/errors.js';
import {
  compileReferential,
  explainName,
  loadReferential,
  loadReferentialText,
} from '../../src/referential/index.js';

const fixtures = fileURLToPath(new URL('../fixtures/referential/', import.meta.url));
const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory';
const created = new Date('2024-03-05T07:08:09Z');

describe("the seed's referential", () => {
  it('routes finance_2024.csv to finance and sale_fr.csv to sales, at the bucket root', async () => {
    const { referential, problems } = await loadReferential(join(fixtures, 'seed.csv'));
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(problems.some((p) => p.message.includes('different projects'))).toBe(true);
    const ids = (name: string): string[] =>
      referential.match('source_bucket', 'raw_data', name).map((m) => m.route.destinationProject);
    expect(ids('finance_2024.csv')).toEqual(['finance']);
    expect(ids('sale_fr.csv')).toEqual(['sales']);
    expect(ids('inventory.json')).toEqual([]);
    expect(ids('wholesale_finance.csv')).toEqual(['finance', 'sales']);
    expect(explainName(referential, 'source_bucket', 'raw_data', 'finance_2024.csv', created)).toEqual([
      {
        route: expect.objectContaining({ id: 'row-1', line: 2 }),
        groups: {},
        directory: '',
        destination: { project: 'finance', bucket: 'raw_data', key: 'finance_2024.csv' },
      },
    ]);
    expect(referential.sources()).toEqual([{ project: 'source_bucket', bucket: 'raw_data' }]);
    expect(referential.projectsForBucket('raw_data')).toEqual(['source_bucket']);
    expect(referential.projectsForBucket('nope')).toEqual([]);
  });
});

describe('compileReferential', () => {
  it('throws ReferentialInvalidError listing every error as FILE:LINE: column: message', () => {
    const rows = loadReferentialText(`${HEADER}\np,in,(a,d,out,\np,in,x,d,out,../x\n`, 'routes.csv');
    try {
      compileReferential(rows, 'routes.csv');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ReferentialInvalidError);
      const e = error as ReferentialInvalidError;
      expect(e.code).toBe('E_REFERENTIAL_INVALID');
      expect(e.message.split('\n').slice(1)).toEqual([
        'routes.csv:2: source_file_mask: invalid RE2 mask "(a": error parsing regexp: missing closing ): `(a`',
        'routes.csv:3: destination_directory: ".." segment would escape the bucket or its folder: expected plain folder names, got "../x"',
      ]);
    }
  });

  it('compiles despite warnings; disabled rows never match and are not sources', () => {
    const rows = loadReferentialText(
      `${HEADER},enabled\np,in,sale,a,o,,\np,in,sale,b,o,x,false\nq,in,x,a,o,,\nr,cold,x,a,o,,no\n`,
      'routes.csv',
    );
    const referential = compileReferential(rows, 'routes.csv');
    expect(referential.source).toBe('routes.csv');
    expect(referential.routes).toHaveLength(4);
    expect(Object.isFrozen(referential.routes[0])).toBe(true);
    expect(referential.match('p', 'in', 'sale.csv').map((m) => m.route.id)).toEqual(['row-1']);
    expect(referential.match('r', 'cold', 'x')).toEqual([]);
    expect(referential.projectsForBucket('in')).toEqual(['p', 'q']);
    expect(referential.sources()).toEqual([
      { project: 'p', bucket: 'in' },
      { project: 'q', bucket: 'in' },
    ]);
  });
});

describe('explainName', () => {
  it('expands named groups and UTC dates, and reports refused destinations per row', async () => {
    const { referential } = await loadReferential(join(fixtures, 'routes.yaml'));
    expect(explainName(referential, 'landing', 'inbox', 'drop/sale_fr_1.parquet', created)).toEqual([
      {
        route: expect.objectContaining({ id: 'row-1' }),
        groups: { country: 'fr' },
        directory: 'sales/fr/2024/03',
        destination: { project: 'sales', bucket: 'curated', key: 'sales/fr/2024/03/sale_fr_1.parquet' },
      },
      {
        route: expect.objectContaining({ id: 'parquet', action: 'copy', onConflict: 'version' }),
        groups: {},
        directory: '',
        destination: { project: 'lake', bucket: 'raw', key: 'sale_fr_1.parquet' },
      },
    ]);
    const dots = compileReferential(
      loadReferentialText(`${HEADER}\np,in,^(?P<v>[a-z.]+)_,d,out,x/{v}\n`, 'routes.csv'),
      'routes.csv',
    );
    expect(explainName(dots, 'p', 'in', '.._evil', created)).toEqual([
      expect.objectContaining({
        error: { code: 'E_KEY_UNSAFE', message: expect.stringContaining('value of group {v}') },
      }),
    ]);
  });
});

describe('loadReferential', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-referential-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('YAML and JSON give the same routes as each other', async () => {
    const yaml = await loadReferential(join(fixtures, 'routes.yaml'));
    const json = await loadReferential(join(fixtures, 'routes.json'));
    const strip = (r: { file: string; line: number }): object => ({ ...r, file: '', line: 0 });
    expect(json.referential.routes.map(strip)).toEqual(yaml.referential.routes.map(strip));
  });

  it('refuses an empty referential and throws on errors', async () => {
    const empty = join(dir, 'empty.csv');
    await writeFile(empty, `${HEADER}\n`);
    const refused = await loadReferential(empty).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ReferentialInvalidError);
    expect((refused as ReferentialInvalidError).problems).toEqual([
      expect.objectContaining({ file: empty, line: 1, column: '(rows)', severity: 'error' }),
    ]);
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, `${HEADER}\np,in,,d,out,\n`);
    await expect(loadReferential(bad)).rejects.toBeInstanceOf(ReferentialInvalidError);
  });
});
