import type { DeliveryPlan, DeliveryRecord, DeliveryState, RouteAction, UnroutedRecord } from './types.js';

/**
 * Rows of the `deliveries` and `unrouted` tables, which the SQLite and the
 * PostgreSQL schemas declare alike (same names, same meaning; PostgreSQL's
 * `bigint` is read as a number), and how they become records. Both ledgers
 * map their rows here and nowhere else.
 */
export interface DeliveryRow {
  id: string;
  source_project: string;
  source_bucket: string;
  source_key: string;
  generation: string;
  route_id: string;
  dest_project: string;
  dest_bucket: string;
  dest_key: string;
  action: string;
  size: number;
  state: string;
  attempts: number;
  error_code: string | null;
  last_error: string | null;
  next_attempt_at: number | null;
  crc32c: string | null;
  bytes_through_process: number | null;
  created_at: number;
  updated_at: number;
  written_at: number | null;
  verified_at: number | null;
  done_at: number | null;
  source_deleted_at: number | null;
  claimed_by: string | null;
  claim_expires_at: number | null;
}

export interface UnroutedRow {
  project: string;
  bucket: string;
  key: string;
  generation: string;
  size: number;
  first_seen_at: number;
  last_seen_at: number;
  resolved_at: number | null;
  reason: string | null;
}

/** The columns a plan fills, in the order of `planValues`: what a claim inserts. */
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
] as const satisfies readonly (keyof DeliveryRow)[];

/** Every `deliveries` column, in table order: the plan's, then the delivery's life. */
export const DELIVERY_COLUMNS: readonly (keyof DeliveryRow)[] = [
  ...PLAN_COLUMNS,
  'state',
  'attempts',
  'error_code',
  'last_error',
  'next_attempt_at',
  'crc32c',
  'bytes_through_process',
  'created_at',
  'updated_at',
  'written_at',
  'verified_at',
  'done_at',
  'source_deleted_at',
  'claimed_by',
  'claim_expires_at',
];

/** A plan's values in `PLAN_COLUMNS` order. */
export function planValues(plan: DeliveryPlan): (string | number)[] {
  const { source, destination } = plan;
  return [
    plan.id,
    source.project,
    source.bucket,
    source.key,
    plan.generation,
    plan.routeId,
    destination.project,
    destination.bucket,
    destination.key,
    plan.action,
    plan.size,
  ];
}

export function recordFromRow(row: DeliveryRow): DeliveryRecord {
  const record: DeliveryRecord = {
    id: row.id,
    source: { project: row.source_project, bucket: row.source_bucket, key: row.source_key },
    generation: row.generation,
    routeId: row.route_id,
    destination: { project: row.dest_project, bucket: row.dest_bucket, key: row.dest_key },
    action: row.action as RouteAction,
    size: row.size,
    state: row.state as DeliveryState,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.error_code !== null) record.errorCode = row.error_code;
  if (row.last_error !== null) record.lastError = row.last_error;
  if (row.next_attempt_at !== null) record.nextAttemptAt = row.next_attempt_at;
  if (row.crc32c !== null) record.crc32c = row.crc32c;
  if (row.bytes_through_process !== null) record.bytesThroughProcess = row.bytes_through_process;
  if (row.written_at !== null) record.writtenAt = row.written_at;
  if (row.verified_at !== null) record.verifiedAt = row.verified_at;
  if (row.done_at !== null) record.doneAt = row.done_at;
  if (row.source_deleted_at !== null) record.sourceDeletedAt = row.source_deleted_at;
  if (row.claimed_by !== null) record.claimedBy = row.claimed_by;
  if (row.claim_expires_at !== null) record.claimExpiresAt = row.claim_expires_at;
  return record;
}

export function unroutedFromRow(row: UnroutedRow): UnroutedRecord {
  const record: UnroutedRecord = {
    source: { project: row.project, bucket: row.bucket, key: row.key },
    generation: row.generation,
    size: row.size,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
  };
  if (row.resolved_at !== null) record.resolvedAt = row.resolved_at;
  if (row.reason !== null && row.reason !== undefined) record.reason = row.reason;
  return record;
}

/** A record's values in `DELIVERY_COLUMNS` order (absent fields NULL): a whole row to insert. */
export function rowValues(record: DeliveryRecord): (string | number | null)[] {
  return [
    ...planValues(record),
    record.state,
    record.attempts,
    record.errorCode ?? null,
    record.lastError ?? null,
    record.nextAttemptAt ?? null,
    record.crc32c ?? null,
    record.bytesThroughProcess ?? null,
    record.createdAt,
    record.updatedAt,
    record.writtenAt ?? null,
    record.verifiedAt ?? null,
    record.doneAt ?? null,
    record.sourceDeletedAt ?? null,
    record.claimedBy ?? null,
    record.claimExpiresAt ?? null,
  ];
}
