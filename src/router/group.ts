import { deliveryId } from '../ledger/delivery-id.js';
import type { Ledger, WaitingGroupKey } from '../ledger/types.js';
import type { ObjectEvent } from '../model/event.js';
import { errorCode, errorMessage } from '../model/errors.js';
import { fileNameOf, folderOf, joinKey, parseLocation } from '../model/keys.js';
import type { Referential, Route } from '../referential/types.js';
import type { Location, ObjectInfo, ObjectStore } from '../storage/types.js';
import type { Logger } from '../util/log.js';
import { mapPool } from '../util/pool.js';
import { deleteSource } from './delete-source.js';
import { groupRowsOf, groupState, listFolder, testerOf, type GroupState } from './group-folder.js';
import type { PlannedDelivery } from './plan.js';
import { summarize, type DeliveryResult, type GroupSummary, type RouteResult } from './result.js';

/** What a group evaluation tells whoever builds on a completed group (manifests, notifications): the hook point. */
export interface GroupOutcome extends GroupSummary {
  project: string;
  bucket: string;
  /** Each member routed, and each marker (routed last), as the router reported them. */
  members: RouteResult[];
  markers: RouteResult[];
}

export interface GroupContext {
  ledger: Ledger;
  log: Logger;
  now: () => number;
  dryRun?: boolean;
  /** Routes one member with its whole plan, its source kept: the group deletes sources once whole. */
  deliverMember(source: Location, object: ObjectInfo): Promise<RouteResult>;
  /** Carries a marker's deliveries, its source kept. */
  deliverMarker(source: Location, object: ObjectInfo, planned: PlannedDelivery[]): Promise<RouteResult>;
  /** Awaited once a folder's groups were evaluated; what it throws is logged, never undoes a delivery. */
  onGroup?(outcome: GroupOutcome): void | Promise<void>;
  /** Whether some row routes this file by its source_file_mask: a marker it matches is left for that row to route. */
  routedAsFile?(source: Location): boolean;
}

/** The route id a marker's deliveries are recorded under: its row's, marked (no transform, no rename). */
export const markerRouteId = (route: Route): string => `${route.id}#marker`;

const SETTLED: ReadonlySet<DeliveryResult['state']> = new Set(['verified', 'done', 'superseded']);
const carried = (r: RouteResult | undefined): boolean =>
  r !== undefined &&
  (r.outcome === 'routed' || r.outcome === 'duplicate') &&
  r.deliveries.every((d) => SETTLED.has(d.state));
const moves = (r: RouteResult): boolean =>
  r.deliveries.some((d) => d.action === 'move' && d.state !== 'superseded');

/**
 * Groups that move together (`complete_when`). A file a group row matches,
 * or a marker, re-evaluates its folder: listed (one level), each group row
 * of the bucket read from the listing (group-folder.ts). A row's group is
 * complete when a marker is there and nothing its manifest names is
 * missing. Then every member whose rows are all complete is routed by the
 * normal path with its source kept; once every member of a row's group is
 * verified at its destinations, its markers are delivered to each
 * destination folder the members went to; only then are sources deleted,
 * members first, markers last. Anything short of that deletes nothing and
 * is carried again by the next arrival, scan or drain: the destination is
 * the truth, so a half-delivered group completes on recovery. A marker
 * whose deliveries were done earlier proves the group was complete then
 * (its members may be gone already). An incomplete group is recorded in the
 * ledger as waiting (its age is the timeout's clock).
 *
 * Evaluations of one folder in this process run one at a time: members of
 * one folder arriving together share one listing and one delivery pass.
 */
export class GroupRouter {
  private readonly running = new Map<string, Promise<Evaluation>>();

  constructor(private readonly ctx: GroupContext) {}

  /** The rows that make a file a member (its plan's rows with complete_when) or a marker (rows whose complete_when it matches). */
  static rowsFor(
    referential: Referential,
    source: Location,
    planned: readonly PlannedDelivery[],
    refused: number,
  ): Route[] {
    const rows = groupRowsOf(referential, source.project, source.bucket);
    if (rows.length === 0) return [];
    const name = fileNameOf(source.key);
    // by the masks, not the plan: one delivery of rows meeting at one key may carry another row's id
    if (rows.some((r) => testerOf(r.mask)(name))) return rows;
    // a marker is a file no row routes: one another row routes is routed by it
    if (planned.length > 0 || refused > 0) return [];
    return rows.some((r) => testerOf(r.completeWhen ?? '')(name)) ? rows : [];
  }

  /** Whether an enabled row of the file's bucket matches its name by its source_file_mask. */
  static routedAsFile(referential: Referential, source: Location): boolean {
    const name = fileNameOf(source.key);
    return referential.routes.some(
      (r) =>
        r.enabled &&
        r.sourceProject === source.project &&
        r.sourceBucket === source.bucket &&
        testerOf(r.mask)(name),
    );
  }

  /** Routes the event of a member or marker through its folder's group. */
  async route(
    event: ObjectEvent,
    store: ObjectStore,
    source: Location,
    object: ObjectInfo,
    rows: Route[],
  ): Promise<RouteResult> {
    const folder = folderOf(source.key);
    const at = `${source.project}\u0000${source.bucket}\u0000${folder}`;
    for (let pending = this.running.get(at); pending; pending = this.running.get(at)) {
      const shared = await pending.catch(() => undefined);
      if (shared?.files.has(source.key)) return this.resultFor(event, source, object, shared);
    }
    const started = this.evaluate(store, source, folder, rows);
    this.running.set(at, started);
    try {
      return this.resultFor(event, source, object, await started);
    } finally {
      if (this.running.get(at) === started) this.running.delete(at);
    }
  }

  private async evaluate(
    store: ObjectStore,
    source: Location,
    folder: string,
    rows: Route[],
  ): Promise<Evaluation> {
    const listing = await listFolder(store, source.bucket, folder);
    const states = await Promise.all(rows.map((r) => groupState(store, r, listing)));
    const complete = new Set<GroupState>();
    for (const s of states)
      if (s.markers.length > 0 && (s.missing.length === 0 || (await this.wasCarried(source, s))))
        complete.add(s);
    const waiting = states.filter((s) => !complete.has(s) && (s.members.length > 0 || s.missing.length > 0));
    const evaluation = newEvaluation(source, folder, listing, states, complete, waiting);
    if (this.ctx.dryRun) return evaluation;
    for (const s of waiting)
      await this.ctx.ledger.waiting.record(
        this.keyOf(source, folder, s.route),
        s.members.length + s.unlisted.length,
        this.ctx.now(),
      );
    const eligible = evaluation.eligible;
    const members = await mapPool(eligible, 4, (m) => this.ctx.deliverMember({ ...source, key: m.key }, m));
    eligible.forEach((m, i) => evaluation.members.set(m.key, members[i]!));
    await this.deliverMarkers(source, evaluation);
    await this.deleteSources(store, source, evaluation);
    for (const s of complete)
      if (evaluation.whole.has(s)) await this.ctx.ledger.waiting.resolve(this.keyOf(source, folder, s.route));
    // files no manifest of the folder lists wait for one that does (status shows them; group_timeout applies)
    for (const s of complete)
      if (s.unlisted.length > 0)
        await this.ctx.ledger.waiting.record(
          this.keyOf(source, folder, s.route),
          s.unlisted.length,
          this.ctx.now(),
        );
    await this.told(outcomeOf(evaluation));
    return evaluation;
  }

  /** Tells the hook (manifests, notify) what this evaluation carried; its failure is only logged. */
  private async told(outcome: GroupOutcome): Promise<void> {
    try {
      await this.ctx.onGroup?.(outcome);
    } catch (error) {
      this.ctx.log.error(
        {
          folder: `${outcome.project}/${outcome.bucket}/${outcome.folder}`,
          code: errorCode(error),
          error: errorMessage(error),
        },
        'group hook failed; the group stays delivered',
      );
    }
  }

  /** Whether a marker of this group was delivered earlier along its row: the group was complete then. */
  private async wasCarried(source: Location, s: GroupState): Promise<boolean> {
    for (const marker of s.markers) {
      const records = await this.ctx.ledger.forGeneration({ ...source, key: marker.key }, marker.generation);
      if (records.some((r) => r.routeId === markerRouteId(s.route) && r.state === 'done')) return true;
    }
    return false;
  }

  /** Each marker of each group whose members are all verified, to every folder its members went to. */
  private async deliverMarkers(source: Location, ev: Evaluation): Promise<void> {
    const plans = new Map<string, { marker: ObjectInfo; planned: Map<string, PlannedDelivery> }>();
    for (const s of ev.complete) {
      if (!s.members.every((m) => carried(ev.members.get(m.key)))) continue;
      const folders = await this.markerFolders(source, s, ev);
      if (folders.length === 0) continue;
      ev.whole.add(s);
      for (const marker of s.markers) {
        const entry = plans.get(marker.key) ?? { marker, planned: new Map() };
        plans.set(marker.key, entry);
        for (const to of folders) {
          const planned = markerPlan({ ...source, key: marker.key }, marker, s.route, to);
          const at = JSON.stringify(planned.plan.destination);
          if (!entry.planned.has(at)) entry.planned.set(at, planned);
        }
      }
    }
    for (const { marker, planned } of plans.values())
      ev.markers.set(
        marker.key,
        await this.ctx.deliverMarker({ ...source, key: marker.key }, marker, [...planned.values()]),
      );
  }

  /** The destination folders of a row's members (as delivered now, or as an earlier marker delivery recorded). */
  private async markerFolders(source: Location, s: GroupState, ev: Evaluation): Promise<Location[]> {
    const folders = new Map<string, Location>();
    const add = (l: Location): void => {
      const to = { ...l, key: folderOf(l.key) };
      folders.set(JSON.stringify(to), to);
    };
    for (const m of s.members)
      for (const d of ev.members.get(m.key)?.deliveries ?? [])
        if (d.routeId === s.route.id) add(parseLocation(d.destination));
    for (const marker of s.markers)
      for (const r of await this.ctx.ledger.forGeneration({ ...source, key: marker.key }, marker.generation))
        if (r.routeId === markerRouteId(s.route)) add(r.destination);
    return [...folders.values()];
  }

  /** Members first, each only if all its deliveries are verified and all its groups whole; markers last, once every member went. */
  private async deleteSources(store: ObjectStore, source: Location, ev: Evaluation): Promise<void> {
    const memberOf = (key: string): GroupState[] =>
      ev.states.filter((s) => s.members.some((m) => m.key === key));
    let allGone = true;
    for (const m of ev.eligible) {
      const result = ev.members.get(m.key);
      if (!result || !carried(result) || !moves(result)) continue;
      if (!memberOf(m.key).every((s) => ev.whole.has(s) && carried(this.markerResultOf(ev, s)))) continue;
      const gone = await this.deleteOne(store, { ...source, key: m.key }, m, result);
      allGone &&= gone;
    }
    if (!allGone) return;
    for (const s of ev.states) {
      if (!ev.whole.has(s)) continue;
      if (s.members.some((m) => !ev.members.get(m.key)?.sourceDeleted && moves(ev.members.get(m.key)!)))
        continue;
      for (const marker of s.markers) {
        const result = ev.markers.get(marker.key);
        const ofMarker = ev.states.filter((o) => o.markers.some((k) => k.key === marker.key));
        if (!result || result.sourceDeleted || !carried(result) || !moves(result)) continue;
        if (!ofMarker.every((o) => ev.whole.has(o))) continue;
        // a marker a row also routes as a file keeps its source: that row's own delivery moves it (or keeps it, for a copy)
        if (this.ctx.routedAsFile?.({ ...source, key: marker.key })) continue;
        await this.deleteOne(store, { ...source, key: marker.key }, marker, result);
      }
    }
  }

  private markerResultOf(ev: Evaluation, s: GroupState): RouteResult | undefined {
    const results = s.markers.map((m) => ev.markers.get(m.key));
    return results.find((r) => !carried(r)) ?? results[0];
  }

  private async deleteOne(
    store: ObjectStore,
    at: Location,
    object: ObjectInfo,
    result: RouteResult,
  ): Promise<boolean> {
    const gone = await deleteSource(store, at, object, result, this.ctx.log);
    if (gone) await this.ctx.ledger.markSourceDeleted(at, object.generation, this.ctx.now());
    result.sourceDeleted = gone;
    return gone;
  }

  private keyOf(source: Location, folder: string, route: Route): WaitingGroupKey {
    return { project: source.project, bucket: source.bucket, folder, routeId: route.id };
  }

  /** The triggering file's own result: its delivery and the group's outcome, or `waiting`. */
  private resultFor(event: ObjectEvent, source: Location, object: ObjectInfo, ev: Evaluation): RouteResult {
    const own = ev.members.get(source.key) ?? ev.markers.get(source.key);
    const all = [...ev.members.values(), ...ev.markers.values()];
    const base: RouteResult = {
      event,
      source,
      generation: object.generation,
      outcome: 'waiting',
      deliveries: [],
    };
    const group: GroupSummary = {
      folder: ev.folder,
      completed: [...ev.whole].map((s) => s.route.id),
      waiting: ev.waiting.map((s) => s.route.id),
    };
    const holds = (st: GroupState): boolean =>
      st.members.some((m) => m.key === source.key) || st.markers.some((m) => m.key === source.key);
    const inComplete = [...ev.complete].some(holds);
    const unlistedBy = ev.states.filter((st) => st.unlisted.some((f) => f.key === source.key));
    if (!own && !inComplete && unlistedBy.length > 0)
      return { ...base, note: unlistedNote(ev, unlistedBy), group };
    if (!own && (!inComplete || all.length === 0)) {
      const waits = ev.waiting.filter(holds);
      if (waits.length > 0 || !ev.isMarker(source.key))
        return { ...base, note: waitingNote(ev, waits), group };
      return { ...base, outcome: 'ignored', note: 'a marker of a group with no member here: kept', group };
    }
    if (!own) return this.combined({ ...base, outcome: 'routed' }, all, group);
    if (this.ctx.dryRun) return { ...own, group };
    return this.combined(own, all, group);
  }

  /** The trigger's result with the outcome of its whole group: any member failing or in flight makes the sender retry. */
  private combined(own: RouteResult, all: RouteResult[], group: GroupSummary): RouteResult {
    const failed = all.find(
      (r) => r.outcome === 'failed' || r.outcome === 'dead' || r.outcome === 'in-flight',
    );
    const deliveries = all.flatMap((r) => r.deliveries);
    const progressed = all.some((r) => r.outcome === 'routed');
    const outcome = summarize(deliveries, progressed);
    const result: RouteResult = {
      ...own,
      outcome: failed && outcome !== 'dead' && outcome !== 'failed' ? failed.outcome : outcome,
      group,
    };
    if (result.outcome === 'failed') {
      const after = Math.min(...all.map((r) => r.retryAfterMs ?? Infinity));
      if (after !== Infinity) result.retryAfterMs = after;
    }
    return result;
  }
}

/** One folder's evaluation. */
interface Evaluation {
  folder: string;
  files: Set<string>;
  states: GroupState[];
  complete: Set<GroupState>;
  waiting: GroupState[];
  /** Members whose every group row is complete, in listing order. */
  eligible: ObjectInfo[];
  members: Map<string, RouteResult>;
  markers: Map<string, RouteResult>;
  /** Complete groups whose members were all verified and whose markers were planned. */
  whole: Set<GroupState>;
  source: Location;
  isMarker(key: string): boolean;
}

function newEvaluation(
  source: Location,
  folder: string,
  listing: ObjectInfo[],
  states: GroupState[],
  complete: Set<GroupState>,
  waiting: GroupState[],
): Evaluation {
  const markerKeys = new Set(states.flatMap((s) => s.markers.map((m) => m.key)));
  const eligible = new Map<string, ObjectInfo>();
  for (const s of complete)
    for (const m of s.members)
      if (states.every((o) => complete.has(o) || !o.members.some((x) => x.key === m.key)))
        eligible.set(m.key, m);
  return {
    folder,
    files: new Set(listing.map((f) => f.key)),
    states,
    complete,
    waiting,
    eligible: [...eligible.values()],
    members: new Map(),
    markers: new Map(),
    whole: new Set(),
    source,
    isMarker: (key) => markerKeys.has(key),
  };
}

function outcomeOf(ev: Evaluation): GroupOutcome {
  return {
    project: ev.source.project,
    bucket: ev.source.bucket,
    folder: ev.folder,
    completed: [...ev.whole].map((s) => s.route.id),
    waiting: ev.waiting.map((s) => s.route.id),
    members: [...ev.members.values()],
    markers: [...ev.markers.values()],
  };
}

function waitingNote(ev: Evaluation, waits: GroupState[]): string {
  const what = waits.map((s) =>
    s.markers.length > 0
      ? `row ${s.route.id}: its manifest names ${s.missing.slice(0, 3).join(', ')} not here as named`
      : `row ${s.route.id}: no marker matching ${s.route.completeWhen ?? ''}`,
  );
  return `waiting in folder "${ev.folder}" (${what.join('; ') || 'its group is not complete'})`;
}

function unlistedNote(ev: Evaluation, states: GroupState[]): string {
  const what = states.map(
    (s) => `row ${s.route.id}: not listed in ${s.markers.map((m) => fileNameOf(m.key)).join(', ')}`,
  );
  return `waiting in folder "${ev.folder}" for a manifest that lists it (${what.join('; ')})`;
}

/** A marker's delivery to one destination folder of its row: its own name, no transform, the row's action and conflict policy. */
function markerPlan(source: Location, marker: ObjectInfo, route: Route, to: Location): PlannedDelivery {
  const routeId = markerRouteId(route);
  const { transform: _t, destinationName: _n, ...plain } = route;
  const destination = { ...to, key: joinKey(to.key, fileNameOf(marker.key)) };
  return {
    route: { ...plain, id: routeId },
    plan: {
      id: deliveryId(
        source,
        marker.generation,
        `${routeId}\u0000${destination.project}/${destination.bucket}/${destination.key}`,
      ),
      source,
      generation: marker.generation,
      routeId,
      destination,
      action: route.action,
      size: marker.size,
    },
  };
}
