import type { DeliveryRecord, Ledger, TransitionItem, TransitionPatch } from '../ledger/types.js';
import { sameLocation } from '../model/keys.js';
import type { Location } from '../storage/types.js';
import type { DeliveryInput, DeliveryOutcome } from './deliver.js';

/**
 * Records a delivery whose destination stands: `done` when the source went
 * with it (`now` stamps its deletion), else `verified`. A copy goes on to
 * `done` in the same call, so the two share one group commit: nothing
 * happens between them for a copy, where a move's source is deleted (see
 * Router.deliverAndSettle). Returns the state reached.
 */
export async function recordStanding(
  ledger: Ledger,
  owner: string,
  record: DeliveryRecord,
  outcome: Extract<DeliveryOutcome, { state: 'verified' }>,
  now: number,
): Promise<'done' | 'verified'> {
  const state = outcome.sourceGone ? 'done' : 'verified';
  const patch = {
    crc32c: outcome.crc32c || undefined,
    ...movedDestination(record, outcome.destination),
    bytesThroughProcess: outcome.bytesThroughProcess,
    ...(outcome.sourceGone ? { sourceDeletedAt: now } : {}),
  };
  if (state === 'done' || record.action !== 'copy') {
    await ledger.transition(record.id, owner, state, patch);
    return state;
  }
  // one call, so the two stay together and in order through the group commit
  const items: TransitionItem[] = [
    { id: record.id, state, patch },
    { id: record.id, state: 'done' },
  ];
  const [, done] = await ledger.transitionMany(items, owner);
  return done ? 'done' : 'verified';
}

/** Records `written` once the destination is written, before it is verified (DeliveryInput.onWritten). */
export function recordWritten(
  ledger: Ledger,
  owner: string,
  record: DeliveryRecord,
): DeliveryInput['onWritten'] {
  return async ({ destination, ...patch }) => {
    await ledger.transition(record.id, owner, 'written', {
      ...patch,
      ...movedDestination(record, destination),
    });
  };
}

/**
 * Records a rename `done`, with its deletion stamp, once the destination
 * stands and before the source is removed (DeliveryInput.onMoved);
 * `moved.recorded` tells the caller it is written.
 */
export function recordMoved(
  ledger: Ledger,
  owner: string,
  record: DeliveryRecord,
  { moved, now }: { moved: { recorded: boolean }; now: () => number },
): NonNullable<DeliveryInput['onMoved']> {
  return async (destination) => {
    await ledger.transition(record.id, owner, 'done', movedPatch(record, destination, now()));
    moved.recorded = true;
  };
}

/** The patch of a move recorded `done` once its destination stands, its source about to go (`now` stamps the deletion). */
export function movedPatch(record: DeliveryRecord, destination: Location, now: number): TransitionPatch {
  return { ...movedDestination(record, destination), bytesThroughProcess: 0, sourceDeletedAt: now };
}

/**
 * The destination for a ledger patch, only when the delivery wrote somewhere
 * else than planned (a versioned key): an unchanged one would rewrite the
 * destination index for nothing.
 */
export function movedDestination(record: DeliveryRecord, destination: Location): { destination?: Location } {
  return sameLocation(record.destination, destination) ? {} : { destination };
}
