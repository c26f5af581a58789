import type { DeliveryPlan } from './types.js';

/**
 * Plan columns of `deliveries` in insert order, their PostgreSQL types, and
 * a batch of plans turned into one array per column (for `unnest`). Rows map
 * back to records with the SQLite ledger's `recordFromRow`: same columns.
 */
export const PLAN_COLUMNS = [
  'id',
  'source_project',
  'source_bucket',
  'source_key',
  'generation',
  'route_id',
  'dest_project',
  'dest_bucket',
  'dest_key',
  'action',
  'size',
] as const;

export const PLAN_TYPES = [
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'bigint',
] as const;

export function planColumns(plans: readonly DeliveryPlan[]): (string | number)[][] {
  const columns: (string | number)[][] = PLAN_COLUMNS.map(() => []);
  for (const plan of plans) {
    const values = [
      plan.id,
      plan.source.project,
      plan.source.bucket,
      plan.source.key,
      plan.generation,
      plan.routeId,
      plan.destination.project,
      plan.destination.bucket,
      plan.destination.key,
      plan.action,
      plan.size,
    ];
    values.forEach((value, i) => columns[i]?.push(value));
  }
  return columns;
}
