import type { ObjectEvent } from '../model/event.js';
import type { ClaimResult, DeliveryPlan, DeliveryRecord, DeliveryState, Ledger } from '../ledger/types.js';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';
import type { Referential } from '../referential/types.js';
import { formatLocation, isFolderPlaceholder } from '../model/keys.js';
import { writtenManifestNote } from '../referential/manifest-name.js';
import type { StoreRegistry } from '../storage/registry.js';
import type { Location, ObjectInfo, ObjectStore } from '../storage/types.js';
import { mapPool, Semaphore } from '../util/pool.js';
import { admitEvent, resolveProject, type Admission } from './admit.js';
import { Claims } from './claims.js';
import type { CsvOptions, TransformName } from '../storage/transform.js';
import type { ParquetSettings } from '../storage/csv-parquet.js';
import { executeDelivery, type DeliveryInput, type DeliveryOutcome } from './deliver.js';
import {
  isDeliverable,
  withDestinationStore,
  mayHold,
  mayRenameIn,
  sourceStaysIn,
  type SourceFate,
  renamesInBatch,
  type CarriedDelivery,
  type Deliverable,
} from './deliverable.js';
import { RenameBatcher, type BatchSteps } from './rename-batch.js';
import { movedPatch, recordMoved, recordStanding, recordWritten } from './record-standing.js';
import { DESTINATION_LOST, destinationHolds, type SourceNow } from './destination-truth.js';
import { screenDeliveries } from './guards.js';
import type { PlannedDelivery } from './plan.js';
import { recordRefused, recordUnsafe, type RefusalContext } from './refusals.js';
import { type RetryPolicy, DEFAULT_RETRY } from './retry.js';
import { transformsOf } from './route-transforms.js';
import { failedEvent, recordFailure, unrecordedFailure, type FailureContext } from './failure.js';
import {
  resultFromRecord,
  retryAfterOf,
  standingState,
  summarize,
  withoutDelivering,
  type DeliveryResult,
  type RouteResult,
} from './result.js';
import { deleteSource } from './delete-source.js';
import { lookAndPlan } from './look-and-plan.js';
import { settleGoneSource, type SourceGoneContext } from './source-gone.js';
import { GroupRouter, type GroupOutcome } from './group.js';
import { expireGroups, type ExpiredGroup } from './group-timeout.js';

export type { DeliveryResult, EventOutcome, RouteResult } from './result.js';

export interface RouterHooks {
  /** A delivery reached a new state in this process (metrics, dashboard). */
  delivery?(result: DeliveryResult, durationMs: number): void;
  /** An event was routed to an outcome. */
  event?(result: RouteResult): void;
  /**
   * A folder's groups were evaluated (`complete_when`): what completed, what
   * waits. Awaited before the event is answered (the group's manifests and
   * notify messages); a hook that fails is logged, the group stays delivered.
   */
  group?(outcome: GroupOutcome): void | Promise<void>;
}

export interface RouterOptions {
  /** Read on every event, so a reloaded referential takes effect at once. */
  referential: () => Referential;
  stores: StoreRegistry;
  ledger: Ledger;
  /** This process's id (`host:pid:nonce`): who holds claims in the ledger. */
  owner: string;
  leaseMs?: number;
  retry?: RetryPolicy;
  logger?: Logger;
  hooks?: RouterHooks;
  dryRun?: boolean;
  now?: () => number;
  /**
   * Deliveries moving bytes through this process at once (default 8), below
   * the event concurrency: renames and server-side copies are cheap and many
   * may run, but each streamed copy holds buffers.
   */
  byteConcurrency?: number;
  /** How `csv-to-jsonl` and `csv-to-parquet` rows read CSV (switchyard.yaml `csv`). */
  csv?: CsvOptions;
  /** How `csv-to-parquet` rows write (switchyard.yaml `transforms.parquet`). */
  parquet?: ParquetSettings;
}

const SETTLED: ReadonlySet<DeliveryResult['state']> = new Set<DeliveryState>([
  'verified',
  'done',
  'superseded',
]);

/**
 * Turns an event into deliveries and carries each to a terminal state or a
 * scheduled retry. The source is deleted only when every delivery of its
 * generation is verified at that moment, and only if it is still that
 * generation (invariants 1 and 2): a delivery the ledger remembers as done
 * counts only while its destination holds the bytes, otherwise it is reopened
 * and delivered again. A repeated notification while the delivery stands is a
 * `duplicate` that costs one look at the destination, no copy (invariant 6).
 * Before anything is claimed the guards refuse a destination that is the
 * source and a route the file already took, keeping the source (invariant 7).
 */
export class Router {
  private readonly leaseMs: number;
  private readonly retry: RetryPolicy;
  private readonly log: Logger;
  private readonly now: () => number;
  /** Deliveries this process holds right now: a concurrent duplicate in the same process is `in-flight`. */
  private readonly claims: Claims;
  /** What every delivery shares: the byte slots, how CSV is read and how Parquet is written. */
  private readonly shared: Pick<DeliveryInput, 'byteSlots' | 'csv' | 'parquet'>;
  /** What recording a failed delivery needs, built once. */
  private readonly failures: FailureContext;
  /** Members and markers of groups (`complete_when`): see group.ts. */
  private readonly groups: GroupRouter;
  /** Local moves reaching their delivery together, made together (rename-batch.ts). */
  private readonly renames: RenameBatcher;

  constructor(private readonly options: RouterOptions) {
    this.leaseMs = options.leaseMs ?? 15_000;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.log = options.logger ?? silentLogger();
    this.now = options.now ?? Date.now;
    this.shared = {
      byteSlots: new Semaphore(options.byteConcurrency ?? 8),
      ...(options.csv ? { csv: options.csv } : {}),
      ...(options.parquet ? { parquet: options.parquet } : {}),
    };
    this.claims = new Claims(options.ledger, options.owner, this.leaseMs, this.now);
    this.renames = new RenameBatcher(this.batchSteps());
    this.failures = { ledger: options.ledger, retry: this.retry, log: this.log, now: this.now };
    this.groups = new GroupRouter({
      ledger: options.ledger,
      log: this.log,
      now: this.now,
      ...(options.dryRun ? { dryRun: true } : {}),
      deliverMember: (source, object) => this.routeMember(source, object),
      deliverMarker: (source, object, planned) => this.deliverKept(source, object, planned),
      onGroup: (outcome) => options.hooks?.group?.(outcome),
      routedAsFile: (source) => GroupRouter.routedAsFile(this.referential, source),
    });
  }

  get ledger(): Ledger {
    return this.options.ledger;
  }

  get referential(): Referential {
    return this.options.referential();
  }

  /** Routes many events with at most `concurrency` in flight; never rejects. */
  async routeMany(
    events: ObjectEvent[],
    concurrency: number,
    onResult?: (result: RouteResult) => void,
  ): Promise<RouteResult[]> {
    return mapPool(events, concurrency, async (event) => {
      const result = await this.route(event);
      onResult?.(result);
      return result;
    });
  }

  /**
   * Routes one event; never rejects: failures are described in the result.
   * `listed`: what the listing that found the file said of it (a scan), which
   * stands for the look at the source where the store's listing is as full
   * as a look (`capabilities.listingAsLook`).
   */
  async route(event: ObjectEvent, listed?: ObjectInfo): Promise<RouteResult> {
    return this.answered(event, () => this.routeUnsafe(event, false, listed));
  }

  /** Runs `route` and answers for the event whatever happens: a failure is described in the result. */
  private async answered(event: ObjectEvent, route: () => Promise<RouteResult>): Promise<RouteResult> {
    const started = this.now();
    let result: RouteResult;
    try {
      result = await route();
    } catch (error) {
      result = failedEvent(event, error, this.retry, this.log);
    }
    result.durationMs = this.now() - started;
    this.options.hooks?.event?.(result);
    return result;
  }

  /**
   * Dead-letters the waiting groups older than their row's `group_timeout`
   * (group-timeout.ts), sources kept; scans, drains and workers call it.
   */
  async expireGroups(): Promise<ExpiredGroup[]> {
    if (this.options.dryRun) return [];
    return expireGroups({
      ledger: this.ledger,
      stores: this.options.stores,
      referential: this.referential,
      refusals: this.refusals,
      log: this.log,
      now: this.now,
    });
  }

  /** The project a bucket belongs to, from the event or the referential (E_BUCKET_UNKNOWN, E_BUCKET_AMBIGUOUS). */
  resolveProject(event: ObjectEvent): string {
    return resolveProject(event, this.referential);
  }

  /** What `route` would make of the event before looking at any store (admit.ts). */
  admit(event: ObjectEvent): Admission {
    return admitEvent(event, this.referential);
  }

  /** A member of a complete group, routed by the normal path with its source kept (the group deletes it); never rejects. */
  private async routeMember(source: Location, object: ObjectInfo): Promise<RouteResult> {
    const event: ObjectEvent = { ...source, generation: object.generation, origin: 'scan' };
    try {
      return await this.routeUnsafe(event, true);
    } catch (error) {
      return { ...failedEvent(event, error, this.retry), source };
    }
  }

  /** Carries planned deliveries of an object (a group's marker), its source kept. */
  private async deliverKept(
    source: Location,
    object: ObjectInfo,
    planned: PlannedDelivery[],
  ): Promise<RouteResult> {
    const sourceStore = await this.options.stores.storeFor(source.project);
    const event: ObjectEvent = { ...source, generation: object.generation, origin: 'scan' };
    const result: RouteResult = {
      event,
      source,
      generation: object.generation,
      outcome: 'routed',
      deliveries: [],
    };
    const kept = { result, sourceStore, source, object, active: planned, refusedCount: 0 };
    return this.deliverAndSettle({ kind: 'deliver', ...kept, keepSource: true });
  }

  /** `member`: a group member routed by its group (group.ts): not a group again, its source kept. */
  private async routeUnsafe(event: ObjectEvent, member = false, listed?: ObjectInfo): Promise<RouteResult> {
    const prepared = await this.prepare(event, member, listed);
    return isDeliverable(prepared) ? this.deliverAndSettle(prepared) : prepared;
  }

  /**
   * Routing an event up to its deliveries' claims: the admission, the look
   * (or the listing standing for it), the plan, the guards and the refusals
   * recorded. Returns the event's result when nothing is to be delivered,
   * else what deliverAndSettle needs.
   */
  private async prepare(
    event: ObjectEvent,
    member: boolean,
    listed: ObjectInfo | undefined,
  ): Promise<RouteResult | Deliverable> {
    const admission = this.admit(event);
    if (admission.kind === 'refused') throw admission.error;
    if (admission.kind === 'unsafe') {
      if (!admission.source) throw admission.error;
      return recordUnsafe(this.refusals, event, admission.source, admission.error);
    }
    const { source } = admission;
    const { project } = source;
    if (isFolderPlaceholder(event.key)) return { event, source, outcome: 'ignored', deliveries: [] };
    const manifest = writtenManifestNote(source, this.referential);
    if (manifest) return { event, source, outcome: 'ignored', deliveries: [], note: manifest };

    const sourceStore = await this.options.stores.storeFor(project);
    const referential = this.referential;
    const planned = await lookAndPlan(referential, sourceStore, source, { member, listed });
    if (!planned) {
      // a file that is not there is not waiting for a row either
      if (!this.options.dryRun) await this.ledger.resolveUnrouted(source, this.now());
      return settleGoneSource(this.goneSource, event, source);
    }
    const { object, deliveries, refused, groupRows } = planned;
    if (groupRows.length > 0) return this.groups.route(event, sourceStore, source, object, groupRows);
    const result: RouteResult = {
      event,
      source,
      generation: object.generation,
      outcome: 'routed',
      deliveries: [],
    };
    if (deliveries.length === 0 && refused.length === 0) {
      if (!this.options.dryRun)
        await this.ledger.recordUnrouted(source, object.generation, object.size, this.now());
      result.outcome = 'unrouted';
      return result;
    }
    const screened = await screenDeliveries(
      { stores: this.options.stores, ledger: this.ledger, referential },
      source,
      object,
      deliveries,
    );
    if (screened.ignore) return { ...result, outcome: 'ignored', note: screened.ignore };
    refused.push(...screened.refused);
    for (const r of refused) result.deliveries.push(await recordRefused(this.refusals, source, object, r));
    const active = screened.active;
    const undelivered = withoutDelivering(result, active, refused.length, this.options.dryRun);
    if (undelivered) return undelivered;
    const refusedCount = refused.length;
    return { kind: 'deliver', result, sourceStore, source, object, active, refusedCount, keepSource: member };
  }

  /**
   * Carries the active deliveries, then settles the event: the source is
   * deleted once every delivery is settled (unless `keepSource`: a group
   * deletes its sources once whole), verified deliveries are marked done,
   * and the claims this call took are released.
   */
  private async deliverAndSettle(d: Deliverable): Promise<RouteResult> {
    const { sourceStore, object, active } = d;
    if (renamesInBatch(await withDestinationStore(d, this.options.stores))) return this.renames.move(d);
    const owner = this.options.owner;
    const fate = { mayRename: mayRenameIn(d), sourceStays: sourceStaysIn(d) };
    // most files have one delivery: no pool of lanes around it
    const outcomes =
      active.length === 1
        ? [await this.deliverOne(active[0] as PlannedDelivery, owner, sourceStore, object, fate)]
        : await mapPool(active, 4, (p) => this.deliverOne(p, owner, sourceStore, object, fate));
    return this.settle(d, outcomes);
  }

  /** The rest of deliverAndSettle, once each delivery has its outcome. */
  private async settle(d: Deliverable, outcomes: CarriedDelivery[]): Promise<RouteResult> {
    const { result, sourceStore, source, object, keepSource } = d;
    const owner = this.options.owner;
    try {
      result.deliveries.push(...outcomes.map((o) => o.result));
      const pendingDone = outcomes
        .filter((o) => o.held && o.result.state === 'verified')
        .map((o) => o.result);
      const settled = result.deliveries.every((d) => SETTLED.has(d.state));
      const moves = result.deliveries.some((d) => d.action === 'move' && d.state !== 'superseded');
      const renamed = outcomes.some((o) => o.sourceGone);
      let sourceDeleted = renamed;
      if (settled && moves && !renamed && !keepSource)
        sourceDeleted = await deleteSource(sourceStore, source, object, result, this.log);
      // a rename stamped the deletion with its own transition (deliverOne)
      if (settled && sourceDeleted && !renamed)
        await this.ledger.markSourceDeleted(source, object.generation, this.now());

      if (pendingDone.length > 0) {
        const done = await this.ledger.transitionMany(
          pendingDone.map((d) => ({ id: d.id, state: 'done' as const })),
          owner,
        );
        pendingDone.forEach((d, i) => {
          if (done[i]) d.state = 'done';
        });
      }
      for (const d of outcomes) {
        if (!d.held) continue;
        if (d.result.state === 'done') this.options.hooks?.delivery?.(d.result, d.result.durationMs ?? 0);
        else if (d.result.state === 'verified')
          await this.ledger.release(d.result.id, owner).catch(() => undefined);
      }
      result.sourceDeleted = sourceDeleted;
      result.outcome = summarize(
        result.deliveries,
        outcomes.some((o) => o.held && o.result.state === 'done'),
      );
      if (result.outcome === 'failed')
        result.retryAfterMs = retryAfterOf(result.deliveries, this.retry.baseDelayMs, this.now());
      return result;
    } finally {
      for (const o of outcomes) if (o.held) this.claims.forget(o.result.id);
    }
  }

  /**
   * Claims (or holds, see mayHold) one delivery and carries it to `verified`
   * (or straight to `done` when a rename moved the source: recorded before
   * the source went), or records its failure. `held`: this call claimed it,
   * so the caller finishes and releases it.
   */
  private async deliverOne(
    planned: PlannedDelivery,
    owner: string,
    sourceStore: ObjectStore,
    object: ObjectInfo,
    fate: SourceFate,
  ): Promise<CarriedDelivery> {
    const { plan, route } = planned;
    // a store that cannot be had fails below, once claimed, so the failure is recorded
    const known = await this.options.stores.storeFor(plan.destination.project).catch(() => undefined);
    const claim = await this.claimStanding(plan, { store: sourceStore, object }, mayHold(route, known));
    if (claim.status !== 'claimed')
      return { result: resultFromRecord(claim.record, standingState(claim)), held: false, sourceGone: false };
    return this.carry(planned, claim.record, { known, sourceStore, object, ...fate });
  }

  /**
   * Carries a claimed delivery to `verified` (or `done`, see deliverOne), or
   * records its failure. `batched`: the answer of a move renameMany made and
   * recorded `done` already (moveInBatch), taken for executeDelivery's.
   */
  private async carry(
    planned: PlannedDelivery,
    record: DeliveryRecord,
    how: { known: ObjectStore | undefined; sourceStore: ObjectStore; object: ObjectInfo } & SourceFate,
    batched?: () => DeliveryOutcome,
  ): Promise<CarriedDelivery> {
    const { plan, route } = planned;
    const { known, sourceStore, object, mayRename, sourceStays } = how;
    const owner = this.options.owner;
    const stores = this.options.stores;
    const started = this.now();
    const renew = this.claims.renewWhileHeld(plan);
    const moved = { recorded: batched !== undefined };
    try {
      const outcome = batched
        ? batched()
        : await executeDelivery({
            record,
            route,
            source: plan.source,
            object,
            sourceStore,
            destinationStore: known ?? (await stores.storeFor(record.destination.project)),
            mayRename,
            sourceStays,
            ...this.shared,
            onWritten: recordWritten(this.ledger, owner, record),
            onMoved: recordMoved(this.ledger, owner, record, { moved, now: this.now }),
          });
      if (outcome.state === 'superseded') {
        await this.ledger.transition(plan.id, owner, 'superseded', { lastError: outcome.reason });
        const superseded = resultFromRecord(record, 'superseded', outcome.destination);
        superseded.durationMs = this.now() - started;
        return { result: superseded, held: true, sourceGone: false };
      }
      const state = moved.recorded
        ? 'done'
        : await recordStanding(this.ledger, owner, record, outcome, this.now());
      const result = resultFromRecord(record, state, outcome.destination);
      result.durationMs = this.now() - started;
      Object.assign(result, { bytes: object.size }, outcome.crc32c ? { crc32c: outcome.crc32c } : {});
      return { result, held: true, sourceGone: outcome.sourceGone };
    } catch (error) {
      const result = await recordFailure(this.failures, record, owner, error).catch((failure: unknown) =>
        unrecordedFailure(this.log, record, error, failure),
      );
      result.durationMs = this.now() - started;
      this.options.hooks?.delivery?.(result, result.durationMs);
      return { result, held: true, sourceGone: false };
    } finally {
      clearInterval(renew);
    }
  }

  /** The steps of deliverOne and deliverAndSettle, for moveInBatch. */
  private batchSteps(): BatchSteps {
    const owner = this.options.owner;
    return {
      hold: (d) => {
        const { plan } = d.active[0] as PlannedDelivery;
        return this.claimStanding(plan, { store: d.sourceStore, object: d.object }, true);
      },
      record: async (moves) => {
        const now = this.now();
        const items = moves.map(({ record, destination }) => ({
          id: record.id,
          state: 'done' as const,
          patch: movedPatch(record, destination, now),
        }));
        await this.ledger.transitionMany(items, owner);
      },
      carry: (d, record, batched) => {
        const how = {
          known: d.destinationStore,
          sourceStore: d.sourceStore,
          object: d.object,
          mayRename: true,
          sourceStays: false,
        };
        return this.carry(d.active[0] as PlannedDelivery, record, how, batched);
      },
      settle: async (d, carried) => this.settle(d, [await carried()]),
    };
  }

  /**
   * Claims a delivery (`lean`: holds it, see Claims.hold); one the ledger remembers as done is looked at where it
   * went: while the destination holds the bytes it stays done (a duplicate),
   * otherwise it is reopened and delivered again as a new attempt.
   */
  private async claimStanding(plan: DeliveryPlan, source: SourceNow, lean = false): Promise<ClaimResult> {
    const claim = await (lean ? this.claims.hold(plan) : this.claims.claim(plan));
    if (claim.status !== 'terminal' || claim.record.state !== 'done') return claim;
    const transform = this.transformOf(claim.record.routeId);
    if (await destinationHolds(this.options.stores, claim.record, source, transform)) return claim;
    this.log.info(
      { delivery: plan.id, destination: formatLocation(claim.record.destination) },
      'done in the ledger but not at the destination: delivering again',
    );
    return this.claims.reopen(claim.record, DESTINATION_LOST);
  }

  /** The transform of the row a delivery was made by, as the referential says now. */
  private transformOf(routeId: string): TransformName | undefined {
    return transformsOf(this.options.referential()).get(routeId);
  }

  /** What settling an event whose source is gone needs. */
  private get goneSource(): SourceGoneContext {
    return {
      ledger: this.ledger,
      claims: this.claims,
      owner: this.options.owner,
      holds: (record) =>
        destinationHolds(this.options.stores, record, undefined, this.transformOf(record.routeId)),
      retryAfter: (deliveries) => retryAfterOf(deliveries, this.retry.baseDelayMs, this.now()),
      now: this.now,
    };
  }

  /** What refusals need: the ledger, the claims, who this process is. */
  private get refusals(): RefusalContext {
    return {
      ledger: this.ledger,
      claims: this.claims,
      owner: this.options.owner,
      dryRun: this.options.dryRun,
      now: this.now,
    };
  }
}
