import type { ObjectEvent } from '../model/event.js';
import type { ClaimResult, DeliveryRecord, DeliveryState, RouteAction } from '../ledger/types.js';
import { formatLocation } from '../model/keys.js';
import type { EventOutcome } from '../model/outcome.js';
import type { Location } from '../storage/types.js';
import type { PlannedDelivery } from './plan.js';

export { TERMINAL_OUTCOMES, type EventOutcome } from '../model/outcome.js';

export interface DeliveryResult {
  id: string;
  routeId: string;
  /** `PROJECT/BUCKET/KEY` */
  destination: string;
  state: DeliveryState | 'in-flight';
  action: RouteAction;
  error?: { code: string; message: string };
  nextAttemptAt?: number;
  /**
   * Set when this call carried the delivery to `state` (claimed and
   * attempted it, recorded its refusal, settled it after its source
   * vanished); absent for one it found standing or only planned.
   */
  durationMs?: number;
  /** The object's size, once this call wrote and verified it. */
  bytes?: number;
  /** CRC32C (base64) of what this call wrote and verified at the destination, when it knows it without reading. */
  crc32c?: string;
}

/** A group's state after a member or marker re-evaluated its folder (router/group.ts). */
export interface GroupSummary {
  folder: string;
  /** Rows whose group in this folder is complete and was carried whole (members, then markers). */
  completed: string[];
  /** Rows whose group still waits for its marker (or for a member its manifest names). */
  waiting: string[];
}

export interface RouteResult {
  event: ObjectEvent;
  source?: Location;
  generation?: string;
  outcome: EventOutcome;
  deliveries: DeliveryResult[];
  sourceDeleted?: boolean;
  error?: { code: string; message: string };
  note?: string;
  retryAfterMs?: number;
  durationMs?: number;
  /** Set when the file is a member or marker of a group (`complete_when`). */
  group?: GroupSummary;
}

/** A delivery as the ledger records it, reported in `state` (at `destination` when it wrote elsewhere). */
export function resultFromRecord(
  record: DeliveryRecord,
  state: DeliveryResult['state'],
  destination?: Location,
): DeliveryResult {
  const result: DeliveryResult = {
    id: record.id,
    routeId: record.routeId,
    destination: formatLocation(destination ?? record.destination),
    state,
    action: record.action,
  };
  if (record.lastError && (state === 'dead' || state === 'failed' || state === 'gone')) {
    result.error = { code: record.errorCode ?? 'E_UNKNOWN', message: record.lastError };
  }
  if (record.nextAttemptAt && state === 'failed') result.nextAttemptAt = record.nextAttemptAt;
  return result;
}

/** A planned delivery reported in `state`, before any ledger row (a dry run). */
export function plannedResult(d: PlannedDelivery, state: DeliveryResult['state']): DeliveryResult {
  return {
    id: d.plan.id,
    routeId: d.route.id,
    destination: formatLocation(d.plan.destination),
    state,
    action: d.plan.action,
  };
}

/** What a delivery this call could not claim stands at: held elsewhere, waiting out its backoff, or its ledger state. */
export function standingState(claim: ClaimResult): DeliveryResult['state'] {
  return claim.status === 'busy' ? 'in-flight' : claim.status === 'backoff' ? 'failed' : claim.record.state;
}

/**
 * The event's result when nothing is to be delivered now: a dry run reports
 * what it would deliver; with no delivery left after the guards, the file
 * was written here by the same route. Undefined when there is work to do.
 */
export function withoutDelivering(
  result: RouteResult,
  active: PlannedDelivery[],
  refusedCount: number,
  dryRun: boolean | undefined,
): RouteResult | undefined {
  if (dryRun) {
    for (const d of active) result.deliveries.push(plannedResult(d, 'planned'));
    result.outcome = active.length ? 'routed' : 'ignored';
    return result;
  }
  if (active.length === 0 && refusedCount === 0) {
    result.outcome = 'ignored';
    result.note = 'written here by the same route; not routed again';
    return result;
  }
  return undefined;
}

/** The outcome of an event whose source exists, from its deliveries; `progressed`: one reached done in this call. */
export function summarize(deliveries: DeliveryResult[], progressed: boolean): EventOutcome {
  const states = new Set(deliveries.map((d) => d.state));
  if (states.has('dead') || states.has('gone')) return 'dead';
  if (states.has('failed')) return 'failed';
  if (states.has('in-flight')) return 'in-flight';
  if (!progressed) return deliveries.every((d) => d.state === 'superseded') ? 'ignored' : 'duplicate';
  return 'routed';
}

/** When an event with these deliveries is next due: the soonest retry a failed one is given, else `baseDelayMs`. */
export function retryAfterOf(deliveries: DeliveryResult[], baseDelayMs: number, now: number): number {
  const due = deliveries.map((d) => d.nextAttemptAt).filter((t): t is number => t !== undefined);
  if (due.length === 0) return baseDelayMs;
  return Math.max(0, Math.min(...due) - now);
}
