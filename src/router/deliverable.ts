import type { Route } from '../referential/types.js';
import type { StoreRegistry } from '../storage/registry.js';
import type { Location, ObjectInfo, ObjectStore } from '../storage/types.js';
import type { PlannedDelivery } from './plan.js';
import type { DeliveryResult, RouteResult } from './result.js';

/**
 * An event routed up to its deliveries' claims (Router.prepare): the result
 * so far, the source as it stands and the deliveries to carry.
 */
export interface Deliverable {
  kind: 'deliver';
  result: RouteResult;
  sourceStore: ObjectStore;
  source: Location;
  object: ObjectInfo;
  active: PlannedDelivery[];
  /** Deliveries a row or a guard refused (recorded already). */
  refusedCount: number;
  /** The source stays whatever happens: a group's member or marker (group.ts). */
  keepSource: boolean;
  /** The store of the only delivery's destination, when it could be had (withDestinationStore). */
  destinationStore?: ObjectStore;
}

/** One delivery carried (or found standing): its result, whether this call held it, whether its source went with it (a rename). */
export interface CarriedDelivery {
  result: DeliveryResult;
  held: boolean;
  sourceGone: boolean;
}

export function isDeliverable(value: unknown): value is Deliverable {
  return (value as Deliverable | undefined)?.kind === 'deliver';
}

/** What becomes of the source, as a delivery needs to know it (DeliveryInput). */
export interface SourceFate {
  /** The move may be made by rename (mayRenameIn). */
  mayRename: boolean;
  /** No delivery deletes the source (sourceStaysIn). */
  sourceStays: boolean;
}

/**
 * No delivery of the event deletes its source, now or once a group is
 * whole: no row routing it, active or refused, moves it.
 */
export function sourceStaysIn(d: Deliverable): boolean {
  return (
    d.active.every((p) => p.plan.action !== 'move') && d.result.deliveries.every((r) => r.action !== 'move')
  );
}

/** The move may be made by rename: it is the file's only delivery, nothing refused, and the source is not kept. */
export function mayRenameIn(d: Deliverable): boolean {
  return (
    !d.keepSource && d.active.length === 1 && d.refusedCount === 0 && d.active[0]?.plan.action === 'move'
  );
}

/**
 * Whether a delivery may be held rather than claimed (Ledger.holdMany): where
 * the destination write itself refuses to replace what is there, two
 * writers of one delivery cannot both stand, so the ledger need not be asked
 * first and the record is written once the delivery stands.
 */
export function mayHold(route: Route, destinationStore: ObjectStore | undefined): boolean {
  return route.onConflict !== 'overwrite' && destinationStore?.capabilities.conditionalWrite === true;
}

/**
 * Whether the delivery goes with others through its store's renameMany
 * (rename-batch.ts): a move by rename (mayRenameIn) that is held, not
 * claimed, untransformed, between stores that rename and batch renames.
 */
export function renamesInBatch(d: Deliverable): boolean {
  const only = d.active[0];
  const destination = d.destinationStore;
  return (
    only !== undefined &&
    mayRenameIn(d) &&
    only.route.transform === undefined &&
    destination?.renameMany !== undefined &&
    destination.canCopyFrom(d.sourceStore) &&
    mayHold(only.route, destination)
  );
}

/** The deliverable with the store of its only delivery's destination, when that store can be had. */
export async function withDestinationStore(d: Deliverable, stores: StoreRegistry): Promise<Deliverable> {
  const only = d.active[0];
  if (d.active.length === 1 && only)
    d.destinationStore = await stores.storeFor(only.plan.destination.project).catch(() => undefined);
  return d;
}
