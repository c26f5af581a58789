import { errorCode, errorMessage } from '../model/errors.js';
import { deliveryId } from '../ledger/delivery-id.js';
import type { DeliveryPlan } from '../ledger/types.js';
import { destinationKeyOf } from '../referential/destination-key.js';
import type { Referential, Route } from '../referential/types.js';
import { fileNameOf, formatLocation } from '../model/keys.js';
import type { Location, ObjectInfo } from '../storage/types.js';

export interface PlannedDelivery {
  plan: DeliveryPlan;
  route: Route;
}

/**
 * A matching row that must not be applied: its destination cannot be built
 * (e.g. a group value with `..`), or the router's guards refuse it (the
 * destination is the source, a routing loop). `destination`: where it would
 * have gone, when that could be built.
 */
export interface RefusedDelivery {
  route: Route;
  code: string;
  message: string;
  destination?: Location;
}

export interface Plan {
  deliveries: PlannedDelivery[];
  refused: RefusedDelivery[];
}

/**
 * Every row that matches the object's file name becomes one delivery
 * (fan-out). The destination key is the expanded directory joined with the
 * file name, or with the expanded `destination_name` when the row has one,
 * then renamed by the row's transform (`.gz` added or removed, `.csv` →
 * `.jsonl`); it is checked like any other key (invariant 4).
 */
export function planDeliveries(referential: Referential, source: Location, object: ObjectInfo): Plan {
  const name = fileNameOf(source.key);
  const deliveries: PlannedDelivery[] = [];
  const refused: RefusedDelivery[] = [];
  for (const { route, groups } of referential.match(source.project, source.bucket, name)) {
    try {
      const { key } = destinationKeyOf(route, source.key, object.created, groups);
      const destination = { project: route.destinationProject, bucket: route.destinationBucket, key };
      deliveries.push({
        route,
        plan: {
          id: deliveryId(source, object.generation, route.id),
          source,
          generation: object.generation,
          routeId: route.id,
          destination,
          action: route.action,
          size: object.size,
        },
      });
    } catch (error) {
      refused.push({ route, code: errorCode(error), message: errorMessage(error) });
    }
  }
  const merged = oneDeliveryPerDestination(deliveries);
  return { deliveries: merged.deliveries, refused: [...refused, ...merged.refused] };
}

/** How strictly a conflict policy keeps what a destination holds: lower is stricter. */
const STRICTNESS = { fail: 0, version: 1, overwrite: 2 } as const;

/**
 * Rows that send one file to one destination key become one delivery (two
 * rows racing on one key would let an `overwrite` row replace what a `fail`
 * row keeps): the row with the strictest conflict policy (first of equals),
 * a move when any of them moves. `validate` warns about such rows. Rows that
 * would write different bytes there (different transforms) cannot be one
 * delivery, and one would replace or refuse the other: all of them are
 * refused (E_CONFLICT), so the source is kept.
 */
function oneDeliveryPerDestination(deliveries: PlannedDelivery[]): Plan {
  if (deliveries.length < 2) return { deliveries, refused: [] };
  const byKey = new Map<string, PlannedDelivery[]>();
  for (const d of deliveries) {
    const { project, bucket, key } = d.plan.destination;
    const at = `${project}\u0000${bucket}\u0000${key}`;
    const group = byKey.get(at);
    if (group) group.push(d);
    else byKey.set(at, [d]);
  }
  if (byKey.size === deliveries.length) return { deliveries, refused: [] };
  const plan: Plan = { deliveries: [], refused: [] };
  for (const group of byKey.values()) {
    const transforms = new Set(group.map((d) => d.route.transform ?? 'none'));
    if (transforms.size > 1) plan.refused.push(...group.map((d) => differentBytes(d, group)));
    else plan.deliveries.push(group.reduce(merge));
  }
  return plan;
}

/** One delivery of two to one key: the stricter row's, a move when either moves. */
function merge(kept: PlannedDelivery, d: PlannedDelivery): PlannedDelivery {
  const stricter = STRICTNESS[d.route.onConflict] < STRICTNESS[kept.route.onConflict] ? d : kept;
  const action = kept.plan.action === 'move' || d.plan.action === 'move' ? 'move' : 'copy';
  return { route: stricter.route, plan: { ...stricter.plan, action } };
}

/** The refusal of a row whose destination key another row fills with other bytes. */
function differentBytes(d: PlannedDelivery, group: PlannedDelivery[]): RefusedDelivery {
  const rows = group.map((g) => `${g.route.id} (transform ${g.route.transform ?? 'none'})`).join(', ');
  return {
    route: d.route,
    code: 'E_CONFLICT',
    message:
      `[switchyard] rows ${rows} would write different bytes to ${formatLocation(d.plan.destination)}: ` +
      'expected one destination key per output; the source is kept',
    destination: d.plan.destination,
  };
}

/** `report.csv` → `report.<generation>.csv`: the `version` conflict policy's key. */
export function versionedKey(key: string, generation: string): string {
  const name = fileNameOf(key);
  const folder = key.slice(0, key.length - name.length);
  const dot = name.lastIndexOf('.');
  const safeGeneration = generation.replace(/[^A-Za-z0-9_-]/g, '_');
  if (dot <= 0) return `${folder}${name}.${safeGeneration}`;
  return `${folder}${name.slice(0, dot)}.${safeGeneration}${name.slice(dot)}`;
}
