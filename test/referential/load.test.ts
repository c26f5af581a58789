import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferentialInvalidError } from '../../src/model/errors.js';
import { formatOf, loadReferentialFile, loadReferentialText } from '../../src/referential/load.js';

const fixtures = fileURLToPath(new URL('../fixtures/referential/', import.meta.url));
const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory';

function invalid(fn: () => unknown): ReferentialInvalidError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ReferentialInvalidError);
    return error as ReferentialInvalidError;
  }
  throw new Error('expected ReferentialInvalidError');
}

describe('loadReferentialText (CSV)', () => {
  it('reads rows with the header as line 1 and trims header names', () => {
    const rows = loadReferentialText(
      ` source_project , source_bucket ,source_file_mask\np,b,^a\nq,c,b$\n`,
      'r.csv',
    );
    expect(rows).toEqual([
      { file: 'r.csv', line: 2, fields: { source_project: 'p', source_bucket: 'b', source_file_mask: '^a' } },
      { file: 'r.csv', line: 3, fields: { source_project: 'q', source_bucket: 'c', source_file_mask: 'b$' } },
    ]);
  });

  it('skips blank lines and keeps physical line numbers across quoted multi-line fields', () => {
    const text = `${HEADER}\n\np,b,"multi\nline",d,e,\n   \n\np,b,x,"d\n\n2",e,f\np,b,last,d,e,g`;
    const rows = loadReferentialText(text, 'r.csv');
    expect(rows.map((r) => r.line)).toEqual([3, 7, 10]);
    expect(rows[0]!.fields.source_file_mask).toBe('multi\nline');
    expect(rows[1]!.fields.destination_project).toBe('d\n\n2');
  });

  it('reads a CSV without quotes as the CSV parser reads the same fields quoted', () => {
    const quoteAll = (text: string): string =>
      text
        .split(/(\r\n|\r|\n)/)
        .map((part) =>
          /^(\r\n|\r|\n)$/.test(part) || part.trim() === ''
            ? part
            : part
                .replace(/^\ufeff/, '')
                .split(',')
                .map((f) => `"${f}"`)
                .join(','),
        )
        .join('');
    const texts = [
      `${HEADER}\np,b,^a,d,e,\n\n   \n  p , b ,x$,d,e, dir \n`,
      `\ufeff${HEADER},action\r\np,b,a,d,e,f,copy\r\n\r\np,b,c,d,e\rp,b,\\.csv$,d,e,,\n\n`,
      `${HEADER}\n,,,,,\n\np,b,a,d,e,f`,
      `${HEADER}`,
      '',
    ];
    for (const text of texts) {
      const quoted = quoteAll(text);
      if (text.trim() !== '') expect(quoted).toContain('"');
      expect(loadReferentialText(text, 'r.csv')).toEqual(loadReferentialText(quoted, 'r.csv'));
    }
    const tooMany = `${HEADER}\np,b,a,d,e,f,extra\n`;
    expect(invalid(() => loadReferentialText(tooMany, 'r.csv')).problems).toEqual(
      invalid(() => loadReferentialText(quoteAll(tooMany), 'r.csv')).problems,
    );
  });

  it('handles CRLF line endings and a BOM', () => {
    const rows = loadReferentialText(`\ufeff${HEADER}\r\np,b,a,d,e,\r\n\r\np,b,c,d,e,x\r\n`, 'r.csv');
    expect(rows.map((r) => [r.line, r.fields.source_file_mask, r.fields.destination_directory])).toEqual([
      [2, 'a', ''],
      [4, 'c', 'x'],
    ]);
    expect(Object.keys(rows[0]!.fields)[0]).toBe('source_project');
  });

  it('keeps short rows (missing trailing fields are absent) and refuses long ones with their line', () => {
    const rows = loadReferentialText(`${HEADER}\np,b,a\n`, 'r.csv');
    expect(rows[0]!.fields).toEqual({ source_project: 'p', source_bucket: 'b', source_file_mask: 'a' });
    const e = invalid(() => loadReferentialText(`${HEADER}\np,b,a,d,e,f\np,b,a,d,e,f,extra\n`, 'r.csv'));
    expect(e.problems).toEqual([
      {
        file: 'r.csv',
        line: 3,
        column: '',
        message: 'expected at most 6 fields as in the header, got 7',
        severity: 'error',
      },
    ]);
  });

  it('reports malformed CSV and duplicate header columns', () => {
    const e = invalid(() => loadReferentialText(`${HEADER}\np,"b,a\n`, 'r.csv'));
    expect(e.problems[0]!.message).toMatch(/^malformed CSV: Quote Not Closed/);
    const d = invalid(() => loadReferentialText('source_bucket,source_bucket\na,b\n', 'r.csv'));
    expect(d.problems[0]).toMatchObject({
      line: 1,
      column: 'source_bucket',
      message: 'column "source_bucket" appears twice in the header',
    });
  });

  it('returns no rows for an empty file or a header alone', () => {
    expect(loadReferentialText('', 'r.csv')).toEqual([]);
    expect(loadReferentialText(`${HEADER}\n`, 'r.csv')).toEqual([]);
  });
});

describe('loadReferentialText (YAML and JSON)', () => {
  const expected = [
    {
      line: 2,
      fields: {
        source_project: 'landing',
        source_bucket: 'inbox',
        source_file_mask: '^sale_(?P<country>[a-z]{2})_',
        destination_project: 'sales',
        destination_bucket: 'curated',
        destination_directory: 'sales/{country}/{yyyy}/{mm}',
      },
    },
  ];

  it('reads a YAML list with the line each row starts on', async () => {
    const rows = await loadReferentialFile(join(fixtures, 'routes.yaml'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject(expected[0]!);
    expect(rows[1]).toMatchObject({
      line: 9,
      fields: { source_file_mask: '\\.parquet$', destination_directory: '', route_id: 'parquet' },
    });
  });

  it('reads a JSON list with line numbers', async () => {
    const rows = await loadReferentialFile(join(fixtures, 'routes.json'));
    expect(rows.map((r) => r.line)).toEqual([2, 10]);
    expect(rows[1]!.fields.source_file_mask).toBe('\\.parquet$');
  });

  it('keeps scalars as written (numbers, booleans, null)', () => {
    const rows = loadReferentialText(
      '- route_id: 007\n  enabled: false\n  destination_directory: ~\n',
      'r.yaml',
    );
    expect(rows[0]!.fields).toEqual({ route_id: '007', enabled: 'false', destination_directory: '' });
  });

  it('refuses a document that is not a list of flat objects', () => {
    expect(invalid(() => loadReferentialText('a: 1\n', 'r.yaml')).problems[0]!.message).toMatch(
      /expected a list of rows/,
    );
    const nested = invalid(() => loadReferentialText('- source_bucket: a\n- source_bucket: [x]\n', 'r.yaml'));
    expect(nested.problems[0]).toMatchObject({ line: 2, column: 'source_bucket' });
    expect(
      invalid(() => loadReferentialText('[\n {"a": 1},\n oops\n]', 'r.json')).problems[0]!.message,
    ).toMatch(/^malformed JSON/);
    expect(invalid(() => loadReferentialText('- a: "x\n', 'r.yaml')).problems[0]!.message).toMatch(
      /^malformed YAML/,
    );
  });
});

describe('formatOf / loadReferentialFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-referential-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('chooses the format from the extension', () => {
    expect(formatOf('a.CSV')).toBe('csv');
    expect(formatOf('a.yml')).toBe('yaml');
    expect(formatOf('a.yaml')).toBe('yaml');
    expect(formatOf('a.json')).toBe('json');
    expect(invalid(() => formatOf('a.txt')).problems[0]!.message).toBe(
      'expected a .csv, .yaml, .yml or .json file, got extension ".txt"',
    );
  });

  it('reads a file from disk', async () => {
    const path = join(dir, 'routes.csv');
    await writeFile(path, `${HEADER}\np,b,a,d,e,\n`);
    const rows = await loadReferentialFile(path);
    expect(rows).toEqual([
      { file: path, line: 2, fields: expect.objectContaining({ source_file_mask: 'a' }) },
    ]);
  });
});
