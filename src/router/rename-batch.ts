import type { ClaimResult, DeliveryRecord } from '../ledger/types.js';
import type { Location, ObjectStore, RenameMove } from '../storage/types.js';
import { renamedOutcome, type DeliveryOutcome } from './deliver.js';
import type { CarriedDelivery, Deliverable } from './deliverable.js';
import { resultFromRecord, standingState, type RouteResult } from './result.js';

/** Moves a batch hands to renameMany at once: each holds its folders open from its link to its unlink. */
export const RENAME_BATCH = 128;

/** What moveInBatch asks of the router, one step of a file's delivery each (router.ts). */
export interface BatchSteps {
  /** Holds the file's only delivery, as deliverOne does (Router.claimStanding). */
  hold(d: Deliverable): Promise<ClaimResult>;
  /** Records the moves `done`, their sources about to go (one transitionMany). */
  record(moves: Array<{ record: DeliveryRecord; destination: Location }>): Promise<void>;
  /** Carries a held delivery (Router.carry): with `batched`, the answer of the move made here; without, the whole delivery. */
  carry(d: Deliverable, record: DeliveryRecord, batched?: () => DeliveryOutcome): Promise<CarriedDelivery>;
  /** Settles the event once its delivery is carried (Router.settle). */
  settle(d: Deliverable, carried: () => Promise<CarriedDelivery>): Promise<RouteResult>;
}

/**
 * Local moves (renamesInBatch) that reach their delivery in the same turn of
 * the event loop, made together by moveInBatch: a scan's or a drain's
 * routing lanes hand theirs here one by one, and each gets its event's
 * result back. A batch goes once RENAME_BATCH moves wait, or on the next
 * turn with what waits then.
 */
export class RenameBatcher {
  private waiting: Array<{ d: Deliverable; resolve(result: Promise<RouteResult>): void }> = [];
  private scheduled = false;

  constructor(private readonly steps: BatchSteps) {}

  /** The event's result once its move is made with the others of its batch; rejects as Router.settle would. */
  async move(d: Deliverable): Promise<RouteResult> {
    const result = await new Promise<Promise<RouteResult>>((resolve) => {
      this.waiting.push({ d, resolve });
      if (this.waiting.length >= RENAME_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
    return result;
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    moveInBatch(
      batch.map((w) => w.d),
      this.steps,
    ).then(
      (results) => batch.forEach((w, i) => w.resolve(results[i] as Promise<RouteResult>)),
      (error: unknown) => batch.forEach((w) => w.resolve(Promise.reject(error))),
    );
  }
}

/**
 * Carries a batch of local moves (renamesInBatch) as deliverOne and
 * deliverAndSettle carry each, with the moves themselves made together:
 * holds for all of them (one group commit), then per pair of stores one
 * renameMany whose records go in one transitionMany before any source is
 * removed. A move the batch could not make (its link refused: the name is
 * taken, the source changed or went) changed nothing, and is carried again
 * alone from its start (executeDelivery), which looks and judges as it
 * always does; one whose record failed, or whose source could not be removed
 * once recorded, fails as it would alone. Resolves with each event's result,
 * in order.
 */
export async function moveInBatch(
  batch: Deliverable[],
  steps: BatchSteps,
): Promise<Array<Promise<RouteResult>>> {
  const claims = await Promise.all(batch.map((d) => steps.hold(d).catch(asError)));
  // each delivery's carrying, started when its event is settled (nothing is left pending in between)
  const carried: Array<() => Promise<CarriedDelivery>> = [];
  const held: Array<{ index: number; record: DeliveryRecord }> = [];
  claims.forEach((claim, index) => {
    if (claim instanceof Error) carried[index] = () => Promise.reject(claim);
    else if (claim.status !== 'claimed') {
      const result = resultFromRecord(claim.record, standingState(claim));
      carried[index] = async () => ({ result, held: false, sourceGone: false });
    } else held.push({ index, record: claim.record });
  });
  for (const group of byStores(batch, held)) {
    const answers = await moveGroup(batch, group, steps);
    group.moves.forEach(({ index, record }, k) => {
      carried[index] = () => steps.carry(batch[index] as Deliverable, record, answers[k]);
    });
  }
  return batch.map((d, index) => steps.settle(d, carried[index] as () => Promise<CarriedDelivery>));
}

interface StorePair {
  source: ObjectStore;
  destination: ObjectStore;
  moves: Array<{ index: number; record: DeliveryRecord }>;
}

/** The held moves by source and destination store, in their order. */
function byStores(batch: Deliverable[], held: Array<{ index: number; record: DeliveryRecord }>): StorePair[] {
  const groups: StorePair[] = [];
  for (const move of held) {
    const d = batch[move.index] as Deliverable;
    const destination = d.destinationStore as ObjectStore;
    let group = groups.find((g) => g.source === d.sourceStore && g.destination === destination);
    if (!group) groups.push((group = { source: d.sourceStore, destination, moves: [] }));
    group.moves.push(move);
  }
  return groups;
}

/**
 * One renameMany; for each move, the answer carry takes (undefined: the
 * move is carried again alone). Never rejects: a renameMany that throws as
 * a whole made no move, so each is carried alone.
 */
async function moveGroup(
  batch: Deliverable[],
  group: StorePair,
  steps: BatchSteps,
): Promise<Array<(() => DeliveryOutcome) | undefined>> {
  const moves: RenameMove[] = group.moves.map(({ record }) => ({
    from: { bucket: record.source.bucket, key: record.source.key },
    to: { bucket: record.destination.bucket, key: record.destination.key },
    generation: record.generation,
  }));
  const recorded = new Set<number>();
  const rename = group.destination.renameMany as NonNullable<ObjectStore['renameMany']>;
  const outcomes = await rename
    .call(group.destination, group.source, moves, async (standing) => {
      for (const k of standing) recorded.add(k);
      await steps.record(
        standing.map((k) => {
          const record = (group.moves[k] as { record: DeliveryRecord }).record;
          return { record, destination: record.destination };
        }),
      );
    })
    .catch(() => [] as Array<undefined>);
  return group.moves.map(({ index, record }, k) => {
    const outcome = outcomes[k];
    if (outcome === undefined || !recorded.has(k)) return undefined;
    if (outcome instanceof Error)
      return () => {
        throw outcome;
      };
    const object = (batch[index] as Deliverable).object;
    return () => renamedOutcome({ record, object }, outcome, record.destination);
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
