import type { KeyUnsafeError } from '../model/errors.js';
import type { ObjectEvent } from '../model/event.js';
import { deliveryId } from '../ledger/delivery-id.js';
import type { Ledger } from '../ledger/types.js';
import type { Location, ObjectInfo } from '../storage/types.js';
import type { Claims } from './claims.js';
import type { RefusedDelivery } from './plan.js';
import type { DeliveryResult, RouteResult } from './result.js';

/** Tells the id of a refusal apart from the done delivery of the same generation and route. */
const REFUSAL_SUFFIX = '\u0000refused';

export interface RefusalContext {
  ledger: Ledger;
  claims: Claims;
  owner: string;
  dryRun?: boolean;
  now: () => number;
}

/**
 * A matching row that must not be applied (unsafe destination key, the
 * destination is the source, a routing loop): recorded dead with its reason,
 * never retried, the source kept. A delivery the ledger already holds as
 * terminal keeps its record (what happened stays what happened).
 */
export async function recordRefused(
  ctx: RefusalContext,
  source: Location,
  object: ObjectInfo,
  refused: RefusedDelivery,
): Promise<DeliveryResult> {
  const { route } = refused;
  const id = deliveryId(source, object.generation, route.id);
  const destination = refused.destination ?? {
    project: route.destinationProject,
    bucket: route.destinationBucket,
    key: `(refused) ${route.destinationDirectory}`,
  };
  const result: DeliveryResult = {
    id,
    routeId: route.id,
    destination: `${destination.project}/${destination.bucket}/${refused.destination ? destination.key : ''}`,
    state: 'dead',
    action: route.action,
    error: { code: refused.code, message: refused.message },
  };
  if (ctx.dryRun) return result;
  const started = ctx.now();
  const plan = {
    id,
    source,
    generation: object.generation,
    routeId: route.id,
    destination,
    action: route.action,
    size: object.size,
  };
  let claim = await ctx.claims.claim(plan);
  if (claim.status === 'terminal' && claim.record.state === 'done') {
    // this generation took the route once (a loop brought it back): the refusal gets its own record
    plan.id = result.id = deliveryId(source, object.generation, `${route.id}${REFUSAL_SUFFIX}`);
    claim = await ctx.claims.claim(plan);
  }
  if (claim.status !== 'claimed') return result;
  try {
    await ctx.ledger.transition(plan.id, ctx.owner, 'dead', {
      errorCode: refused.code,
      lastError: refused.message,
    });
  } finally {
    ctx.claims.forget(plan.id);
  }
  result.durationMs = ctx.now() - started;
  return result;
}

/** An event whose key is unsafe: recorded dead under its printable form, the file left where it is (invariant 4). */
export async function recordUnsafe(
  ctx: RefusalContext,
  event: ObjectEvent,
  source: Location,
  error: KeyUnsafeError,
): Promise<RouteResult> {
  const printable = {
    ...source,
    key: JSON.stringify(source.key).slice(1, -1),
    bucket: JSON.stringify(source.bucket).slice(1, -1),
  };
  const generation = event.generation ?? 'unknown';
  const id = deliveryId(printable, generation, '(unsafe-key)');
  if (!ctx.dryRun) {
    const claim = await ctx.claims.claim({
      id,
      source: printable,
      generation,
      routeId: '(unsafe-key)',
      destination: printable,
      action: 'copy',
      size: event.size ?? 0,
    });
    if (claim.status === 'claimed') {
      try {
        await ctx.ledger.transition(id, ctx.owner, 'dead', {
          errorCode: error.code,
          lastError: error.message,
        });
      } finally {
        ctx.claims.forget(id);
      }
    }
  }
  return {
    event,
    source: printable,
    outcome: 'dead',
    deliveries: [],
    error: { code: error.code, message: error.message },
  };
}
