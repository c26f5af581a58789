import { ReferentialInvalidError, type Problem } from '../model/errors.js';
import type { RawRow } from './types.js';
import { OPTIONAL_COLUMNS, REQUIRED_COLUMNS } from './validate-row.js';

/** A field of a table's schema, as tables.get gives it. */
export interface BigQueryField {
  name: string;
  type?: string;
  mode?: string;
}

/** A row as tabledata.list gives it: one `{ v }` cell per schema field, in order; `v` is text or null. */
export interface BigQueryRawRow {
  f?: Array<{ v?: unknown }>;
}

/**
 * Types whose cell is the text the CSV would hold: tabledata.list writes a
 * BOOL as `true` / `false` and an INT64 or NUMERIC in decimal, as a CSV
 * export does.
 */
const TEXT_TYPES = new Set([
  'STRING',
  'INTEGER',
  'INT64',
  'BOOLEAN',
  'BOOL',
  'NUMERIC',
  'BIGNUMERIC',
  'FLOAT',
  'FLOAT64',
  'DATE',
  'DATETIME',
  'TIME',
]);

const REFERENTIAL_COLUMNS: ReadonlySet<string> = new Set([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]);

/**
 * The columns of `fields` a referential row is read from. A column of a type
 * with no CSV text (RECORD, REPEATED, BYTES, TIMESTAMP, JSON…) is refused when
 * the referential reads it (a required or optional column) and left out
 * otherwise (an `x_*` annotation, a column of the table's own, such as an
 * audit timestamp).
 */
export function referentialFields(
  uri: string,
  fields: readonly BigQueryField[],
): Array<BigQueryField & { index: number }> {
  const problems: Problem[] = [];
  const kept: Array<BigQueryField & { index: number }> = [];
  fields.forEach((field, index) => {
    const type = (field.type ?? 'STRING').toUpperCase();
    const repeated = (field.mode ?? '').toUpperCase() === 'REPEATED';
    if (TEXT_TYPES.has(type) && !repeated) kept.push({ ...field, index });
    else if (REFERENTIAL_COLUMNS.has(field.name))
      problems.push({
        file: uri,
        line: 1,
        column: field.name,
        message: `expected a column of a scalar type (STRING, INT64, BOOL, NUMERIC, FLOAT64, DATE…), got ${repeated ? 'REPEATED ' : ''}${type}`,
        severity: 'error',
      });
  });
  if (problems.length > 0) throw new ReferentialInvalidError(uri, problems);
  return kept;
}

/**
 * Referential rows of tabledata.list rows. A row's `line` is its 1-based
 * position in the table's listing (BigQuery rows have no line): problems
 * name `bq://PROJECT.DATASET.TABLE:POSITION`. NULL reads as an empty field.
 */
export function rawRowsOf(
  uri: string,
  fields: ReadonlyArray<BigQueryField & { index: number }>,
  rows: readonly BigQueryRawRow[],
  firstPosition: number,
): RawRow[] {
  return rows.map((row, i) => {
    const values: Record<string, string> = {};
    for (const field of fields) values[field.name] = textOf(row.f?.[field.index]?.v);
    return { file: uri, line: firstPosition + i, fields: values };
  });
}

function textOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : String(value);
}
