import type { Problem } from '../errors.js';
import { crossRowWarnings } from './cross-rows.js';
import { checkRow, fieldOf, OPTIONAL_COLUMNS, REQUIRED_COLUMNS } from './validate-row.js';
import type { RawRow, Route } from './types.js';

const KNOWN_COLUMNS = new Set<string>([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]);

/**
 * Validates referential rows. Errors: a missing required column (line 1,
 * column = its name, when no row of the file has it; at the row otherwise),
 * an empty required field, an invalid or empty mask, an unknown placeholder,
 * a directory that could escape its bucket, a control character, an invalid
 * action / on_conflict / enabled, a duplicate route_id, an exact duplicate
 * row. Warnings never fail (see `crossRowWarnings`, plus unknown columns,
 * an unescaped `.` before an extension, a named group hiding a placeholder).
 * `routes` holds the rows without errors, in file order.
 */
export function validateRows(rows: readonly RawRow[]): { routes: Route[]; problems: Problem[] } {
  const problems: Problem[] = [...columnProblems(rows)];
  const routes: Route[] = [];
  const indexInFile = new Map<string, number>();
  const byId = new Map<string, RawRow>();
  const byContent = new Map<string, RawRow>();
  for (const row of rows) {
    const index = (indexInFile.get(row.file) ?? 0) + 1;
    indexInFile.set(row.file, index);
    const checked = checkRow(row, index);
    problems.push(...checked.problems);
    const content = contentKey(row);
    const twin = byContent.get(content);
    if (twin) {
      problems.push(
        error(
          row,
          'source_file_mask',
          `exact duplicate of the row at ${where(twin)}: expected each row once`,
        ),
      );
      continue;
    }
    byContent.set(content, row);
    const id = fieldOf(row, 'route_id') || `row-${index}`;
    const first = byId.get(id);
    if (first) {
      problems.push(
        error(
          row,
          'route_id',
          `duplicate route_id ${JSON.stringify(id)}: already used by the row at ${where(first)}`,
        ),
      );
      continue;
    }
    byId.set(id, row);
    if (checked.route) routes.push(checked.route);
  }
  problems.push(...crossRowWarnings(routes));
  return { routes, problems: sortProblems(problems) };
}

function where(row: RawRow): string {
  return `${row.file}:${row.line}`;
}

function error(row: RawRow, column: string, message: string): Problem {
  return { file: row.file, line: row.line, column, message, severity: 'error' };
}

function contentKey(row: RawRow): string {
  const values = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS].map((c) => {
    const v = fieldOf(row, c);
    return c === 'action' || c === 'on_conflict' || c === 'enabled' ? v.toLowerCase() : v;
  });
  return JSON.stringify([row.file, ...values]);
}

function columnProblems(rows: readonly RawRow[]): Problem[] {
  const problems: Problem[] = [];
  const files = new Map<string, RawRow[]>();
  for (const row of rows) {
    const list = files.get(row.file);
    if (list) list.push(row);
    else files.set(row.file, [row]);
  }
  for (const [file, fileRows] of files) {
    const present = new Set(fileRows.flatMap((r) => Object.keys(r.fields)));
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
      for (const row of fileRows) {
        if (!(column in row.fields))
          problems.push(error(row, column, `missing field "${column}": expected every row to set it`));
      }
    }
    for (const column of present) {
      if (!KNOWN_COLUMNS.has(column)) {
        const line = Math.min(...fileRows.filter((r) => column in r.fields).map((r) => r.line));
        problems.push({
          file,
          line: /\.csv$/i.test(file) ? 1 : line,
          column,
          message: `unknown column "${column}" is ignored: expected one of ${[...KNOWN_COLUMNS].join(', ')}`,
          severity: 'warning',
        });
      }
    }
  }
  return problems;
}

function sortProblems(problems: Problem[]): Problem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.file === b.p.file ? a.p.line - b.p.line || a.i - b.i : a.p.file < b.p.file ? -1 : 1))
    .map(({ p }) => p);
}

/** `FILE:LINE: column: message` (warnings say so). */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.column}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;
}
