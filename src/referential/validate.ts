import type { Problem } from '../model/errors.js';
import { bucketByName, type BucketIdentity } from './bucket-identity.js';
import { columnProblems } from './columns.js';
import { crossRowProblems } from './cross-rows.js';
import { undeclaredProjectProblems } from './declared-projects.js';
import { parquetSchemaProblems } from './parquet-schemas.js';
import { routingCycles } from './routing-cycles.js';
import { selfRouteProblems } from './self-routes.js';
import { checkRow, fieldOf, OPTIONAL_COLUMNS, REQUIRED_COLUMNS } from './validate-row.js';
import type { RawRow, Route } from './types.js';

export interface ValidateOptions {
  /** The referential's name in a problem when it has no row (default `routes`). */
  source?: string;
  /**
   * Which buckets are one (default: by name). The CLI and the long-running
   * modes pass `localBucketIdentity`, so a bucket folder that is a symlink to
   * another is that other bucket.
   */
  bucketIdentity?: BucketIdentity;
  /**
   * The projects switchyard.yaml declares, when only those may be used: a
   * row naming another is an error `E_PROJECT_UNDECLARED`. Undefined: any
   * project (an undeclared one is a local folder under the data root).
   */
  declaredProjects?: readonly string[];
  /** switchyard.yaml's `transforms.parquet.schemas` (by route_id): one naming no csv-to-parquet row is a warning. */
  parquetSchemas?: Readonly<Record<string, unknown>>;
}

/**
 * Validates referential rows. Errors: no row at all, a missing required
 * column (line 1, column = its name, when no row of the file has it; at the
 * row otherwise), an unknown column that looks like a misspelt known one, an
 * empty required field, an invalid or empty mask, an unknown placeholder, a
 * directory that could escape its bucket, a control character, an invalid
 * action / on_conflict / enabled / allow_cycle, a duplicate route_id, an
 * exact duplicate row, a row delivering files onto themselves
 * (`E_DESTINATION_IS_SOURCE`), a routing cycle not allowed by `allow_cycle`
 * (`E_ROUTING_LOOP`), a project switchyard.yaml does not declare where only
 * declared ones may be used (`E_PROJECT_UNDECLARED`). Warnings never fail (see `crossRowProblems`,
 * `selfRouteProblems`, `routingCycles`, plus other unknown columns, an
 * unescaped `.` before an extension, a named group hiding a placeholder).
 * `routes` holds the rows without errors of their own, in file order.
 */
export function validateRows(
  rows: readonly RawRow[],
  options: ValidateOptions = {},
): { routes: Route[]; problems: Problem[] } {
  if (rows.length === 0) return { routes: [], problems: [noRows(options.source ?? 'routes')] };
  const problems: Problem[] = [...columnProblems(rows)];
  if (options.declaredProjects) problems.push(...undeclaredProjectProblems(rows, options.declaredProjects));
  const routes: Route[] = [];
  const indexInFile = new Map<string, number>();
  const byId = new Map<string, RawRow>();
  const contents = new ContentIndex();
  for (const row of rows) {
    const index = (indexInFile.get(row.file) ?? 0) + 1;
    indexInFile.set(row.file, index);
    const checked = checkRow(row, index);
    problems.push(...checked.problems);
    const twin = contents.twinOf(row);
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
    contents.add(row);
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
  const identity = options.bucketIdentity ?? bucketByName;
  problems.push(...selfRouteProblems(routes, identity));
  problems.push(...routingCycles(routes, identity).problems);
  problems.push(...crossRowProblems(routes));
  if (options.parquetSchemas) {
    problems.push(...parquetSchemaProblems(routes, options.parquetSchemas, options.source ?? 'routes'));
  }
  return { routes, problems: sortProblems(problems) };
}

function noRows(source: string): Problem {
  return {
    file: source,
    line: 1,
    column: '(rows)',
    message:
      'expected at least one data row, got none (an empty file or a header alone): a referential with no rows would route nothing',
    severity: 'error',
  };
}

function where(row: RawRow): string {
  return `${row.file}:${row.line}`;
}

function error(row: RawRow, column: string, message: string): Problem {
  return { file: row.file, line: row.line, column, message, severity: 'error' };
}

/**
 * Rows by content, to find exact duplicates. Only rows of one file sharing a
 * mask can be alike, so a row's whole content is spelt out only once another
 * row of its file has its mask (most masks are used once).
 */
class ContentIndex {
  private readonly byMask = new Map<string, RawRow | Map<string, RawRow>>();

  /** The row added earlier with the same content as `row`, if any. */
  twinOf(row: RawRow): RawRow | undefined {
    const same = this.byMask.get(maskKey(row));
    if (same === undefined) return undefined;
    if (same instanceof Map) return same.get(contentKey(row));
    return contentKey(same) === contentKey(row) ? same : undefined;
  }

  /** Adds a row no row added has the content of. */
  add(row: RawRow): void {
    const key = maskKey(row);
    const same = this.byMask.get(key);
    if (same === undefined) this.byMask.set(key, row);
    else if (same instanceof Map) same.set(contentKey(row), row);
    else
      this.byMask.set(
        key,
        new Map([
          [contentKey(same), same],
          [contentKey(row), row],
        ]),
      );
  }
}

function maskKey(row: RawRow): string {
  return `${row.file}\u0000${fieldOf(row, 'source_file_mask')}`;
}

function contentKey(row: RawRow): string {
  const values = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS].map((c) => {
    const v = fieldOf(row, c);
    return c === 'action' || c === 'on_conflict' || c === 'enabled' || c === 'allow_cycle'
      ? v.toLowerCase()
      : v;
  });
  return JSON.stringify([row.file, ...values]);
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
