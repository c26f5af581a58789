import type { Problem } from '../model/errors.js';
import { OPTIONAL_COLUMNS, REQUIRED_COLUMNS } from './validate-row.js';
import type { RawRow } from './types.js';

const KNOWN_COLUMNS: readonly string[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];
const KNOWN = new Set<string>(KNOWN_COLUMNS);
/** Columns starting with this (in any case) are annotations: allowed, ignored, never reported. */
export const ANNOTATION_PREFIX = 'x_';
/** An unknown column this close to a known one is taken for a misspelling of it. */
const MISSPELLING_DISTANCE = 2;

/**
 * Column problems of each file: a required column no row has (line 1) or a
 * row lacks (that row); an unknown column within edit distance 2 of a known
 * one is an error naming it (`acton` would silently make every `copy` a
 * move); other unknown columns are warnings; `x_` columns are annotations.
 */
export function columnProblems(rows: readonly RawRow[]): Problem[] {
  const problems: Problem[] = [];
  const files = new Map<string, RawRow[]>();
  for (const row of rows) {
    const list = files.get(row.file);
    if (list) list.push(row);
    else files.set(row.file, [row]);
  }
  for (const [file, fileRows] of files) {
    const present = new Set<string>();
    for (const r of fileRows) {
      for (const column of Object.keys(r.fields)) present.add(column);
      // a row cut short still had its header's columns
      if (r.header) for (const column of r.header) present.add(column);
    }
    problems.push(...requiredProblems(file, fileRows, present));
    for (const column of present) {
      if (KNOWN.has(column) || column.toLowerCase().startsWith(ANNOTATION_PREFIX)) continue;
      const line = /\.csv$/i.test(file) ? 1 : firstLineWith(fileRows, column);
      problems.push({ file, line, column, ...unknownColumn(column) });
    }
  }
  return problems;
}

function requiredProblems(file: string, rows: RawRow[], present: Set<string>): Problem[] {
  const problems: Problem[] = [];
  for (const column of REQUIRED_COLUMNS) {
    if (!present.has(column)) {
      problems.push({
        file,
        line: 1,
        column,
        message: `missing required column "${column}": expected columns ${REQUIRED_COLUMNS.join(', ')}, got ${[...present].join(', ') || 'none'}`,
        severity: 'error',
      });
      continue;
    }
    for (const row of rows) {
      if (!(column in row.fields))
        problems.push({
          file,
          line: row.line,
          column,
          message: missingField(row, column),
          severity: 'error',
        });
    }
  }
  return problems;
}

/**
 * Why a row has no `column`. A CSV row shorter than its header says how many
 * fields it has and, when only the last, possibly empty, required column is
 * missing, that its trailing comma is likely lost (`p,a,\.csv$,p,b` for an
 * empty destination_directory) with the row as it should read.
 */
function missingField(row: RawRow, column: string): string {
  const header = row.header?.filter((name) => name !== '');
  if (!header) return `missing field "${column}": expected every row to set it`;
  const given = Object.keys(row.fields).length;
  const missing = REQUIRED_COLUMNS.filter((c) => !(c in row.fields));
  const shortBy = `this row has ${given} field(s), the header ${header.length}`;
  if (missing.length === 1 && column === 'destination_directory') {
    const values = header.slice(0, given).map((name) => row.fields[name] ?? '');
    return `missing field "${column}" (${shortBy}): an empty ${column} still needs its comma; expected the row to end with ",": ${values.join(',')},`;
  }
  return `missing field "${column}" (${shortBy}): expected a value, or an empty field between commas, for each column of the header`;
}

function firstLineWith(rows: RawRow[], column: string): number {
  let line = Infinity;
  for (const r of rows) if (column in r.fields) line = Math.min(line, r.line);
  return line;
}

function unknownColumn(column: string): Pick<Problem, 'message' | 'severity'> {
  const near = closestKnown(column);
  if (near !== undefined) {
    return {
      message: `unknown column "${column}" looks like a misspelling of "${near}": expected "${near}" (or a name starting with "${ANNOTATION_PREFIX}" for a note); as written every row would silently use the default ${near}`,
      severity: 'error',
    };
  }
  return {
    message: `unknown column "${column}" is ignored: expected one of ${KNOWN_COLUMNS.join(', ')} (columns starting with "${ANNOTATION_PREFIX}" are notes)`,
    severity: 'warning',
  };
}

/** The known column nearest to `column` when within the misspelling distance (case-insensitive). */
export function closestKnown(column: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of KNOWN_COLUMNS) {
    const distance = editDistance(column.toLowerCase(), name);
    if (distance <= MISSPELLING_DISTANCE && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Damerau-Levenshtein distance (optimal string alignment: an adjacent swap costs 1). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
