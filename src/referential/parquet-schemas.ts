import type { Problem } from '../model/errors.js';
import type { Route } from './types.js';

/**
 * Warnings about switchyard.yaml's `transforms.parquet.schemas` against the
 * rows: a schema for a `route_id` no row has, or for a row whose transform
 * is not `csv-to-parquet`, types no file (its columns stay what they are).
 * `source` names the referential for the first kind, which has no row.
 */
export function parquetSchemaProblems(
  routes: readonly Route[],
  schemas: Readonly<Record<string, unknown>>,
  source: string,
): Problem[] {
  const byId = new Map(routes.map((r) => [r.id, r]));
  const problems: Problem[] = [];
  for (const id of Object.keys(schemas)) {
    const route = byId.get(id);
    if (!route) {
      problems.push({
        file: source,
        line: 1,
        column: 'route_id',
        message: `transforms.parquet.schemas names route_id ${JSON.stringify(id)}, which no row has: expected the route_id of a csv-to-parquet row`,
        severity: 'warning',
      });
    } else if (route.transform !== 'csv-to-parquet') {
      problems.push({
        file: route.file,
        line: route.line,
        column: 'transform',
        message: `transforms.parquet.schemas types the columns of row ${id}, whose transform is ${route.transform ?? 'none'}: expected csv-to-parquet, or no schema for this row`,
        severity: 'warning',
      });
    }
  }
  return problems;
}
