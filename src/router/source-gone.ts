import type { ObjectEvent } from '../model/event.js';
import type { DeliveryRecord, Ledger } from '../ledger/types.js';
import type { Location } from '../storage/types.js';
import type { Claims } from './claims.js';
import { resultFromRecord, type DeliveryResult, type RouteResult } from './result.js';

/** What a delivery whose source vanished before it was delivered is recorded with. */
const GONE = { code: 'E_NOT_FOUND', message: 'source gone before delivery' } as const;

/** Delivery states that still need work after the source vanished. */
const UNFINISHED: readonly DeliveryResult['state'][] = ['failed', 'planned', 'written', 'verified'];

export interface SourceGoneContext {
  ledger: Ledger;
  claims: Claims;
  owner: string;
  /** Whether the delivery's destination holds its bytes now (destinationHolds). */
  holds(record: DeliveryRecord): Promise<boolean>;
  retryAfter(deliveries: DeliveryResult[]): number;
  now: () => number;
}

/**
 * The source is gone. Deliveries this ledger knows for that generation are
 * done if their destinations hold it now, otherwise terminal `gone`: never
 * retried forever (the original's poison batch). A delivery already done is
 * a `duplicate` only while its destination still holds it; when neither the
 * source nor the destination has the file any more (a consumer took it), the
 * outcome is `gone`, said in the note. While another worker holds one, or one
 * waits for its retry, the event is `in-flight` or `failed`, so no queue acks
 * it early.
 */
export async function settleGoneSource(
  ctx: SourceGoneContext,
  event: ObjectEvent,
  source: Location,
): Promise<RouteResult> {
  const result: RouteResult = { event, source, outcome: 'gone', deliveries: [] };
  const records = event.generation ? await ctx.ledger.forGeneration(source, event.generation) : [];
  if (records.length === 0) return result;
  result.generation = event.generation;
  let finished = 0;
  let lost = 0;
  for (const record of records) {
    if (record.state === 'done' || record.state === 'superseded') {
      if (record.state === 'done' && !(await ctx.holds(record))) lost++;
      result.deliveries.push(resultFromRecord(record, record.state));
      continue;
    }
    const started = ctx.now();
    const claim = await ctx.claims.claim(record);
    if (claim.status !== 'claimed') {
      result.deliveries.push(
        resultFromRecord(record, claim.status === 'busy' ? 'in-flight' : claim.record.state),
      );
      continue;
    }
    let holds: boolean;
    try {
      holds = await ctx.holds(record);
      await ctx.ledger.transition(
        record.id,
        ctx.owner,
        holds ? 'done' : 'gone',
        holds ? {} : { errorCode: GONE.code, lastError: GONE.message },
      );
    } finally {
      ctx.claims.forget(record.id);
    }
    if (holds) finished++;
    const settled = resultFromRecord(record, holds ? 'done' : 'gone');
    settled.durationMs = ctx.now() - started;
    if (holds) settled.bytes = record.size;
    else settled.error = { ...GONE };
    result.deliveries.push(settled);
  }
  const states = new Set(result.deliveries.map((d) => d.state));
  if (result.deliveries.every((d) => d.state === 'done' || d.state === 'superseded')) {
    if (lost > 0 && finished === 0) {
      result.note = 'delivered earlier, but neither the source nor the destination holds it now';
    } else result.outcome = finished > 0 ? 'routed' : 'duplicate';
  } else if (states.has('in-flight')) {
    // another worker holds one (it may be renaming the source this moment): not over yet
    result.outcome = 'in-flight';
  } else if (UNFINISHED.some((state) => states.has(state))) {
    // one waits for its retry: acking now would leave it with no message to finish it
    result.outcome = 'failed';
    result.retryAfterMs = ctx.retryAfter(result.deliveries);
  }
  return result;
}
