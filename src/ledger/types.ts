import type { Location } from '../storage/types.js';

/**
 * A delivery's life: planned → written → verified → done; or failed (retried
 * later) → dead after the retry budget. `gone`: the source vanished before the
 * delivery finished and no destination holds that generation. `superseded`: a
 * newer generation of the same source already reached the destination.
 */
export type DeliveryState =
  'planned' | 'written' | 'verified' | 'done' | 'failed' | 'dead' | 'gone' | 'superseded';

/** Every delivery state, in the order of a delivery's life. */
export const DELIVERY_STATES: readonly DeliveryState[] = [
  'planned',
  'written',
  'verified',
  'done',
  'failed',
  'dead',
  'gone',
  'superseded',
];

/** A count per state, every state present (`counts().byState` of every ledger). */
export function zeroStateCounts(): Record<DeliveryState, number> {
  return Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;
}

export const TERMINAL_STATES: ReadonlySet<DeliveryState> = new Set(['done', 'dead', 'gone', 'superseded']);

export type RouteAction = 'move' | 'copy';

/** What the planner decided: one source generation sent along one route. */
export interface DeliveryPlan {
  /** Stable id: hash of (source location, generation, route id). */
  id: string;
  source: Location;
  generation: string;
  routeId: string;
  destination: Location;
  action: RouteAction;
  size: number;
}

export interface DeliveryRecord extends DeliveryPlan {
  state: DeliveryState;
  attempts: number;
  errorCode?: string;
  lastError?: string;
  /** epoch ms at which a failed delivery may be tried again. */
  nextAttemptAt?: number;
  crc32c?: string;
  /** bytes that passed through this process (0 for server-side copies). */
  bytesThroughProcess?: number;
  createdAt: number;
  updatedAt: number;
  writtenAt?: number;
  verifiedAt?: number;
  doneAt?: number;
  sourceDeletedAt?: number;
  /** worker currently holding the delivery, and until when (epoch ms). */
  claimedBy?: string;
  claimExpiresAt?: number;
}

export interface UnroutedRecord {
  source: Location;
  generation: string;
  size: number;
  firstSeenAt: number;
  lastSeenAt: number;
  /** Why no row can route it, when not simply that no mask matches: an error code (`E_KEY_ENCODING`). */
  reason?: string;
  /** Set when a later generation or a referential change routed it. */
  resolvedAt?: number;
}

/** One group (`complete_when`) of one row in one folder of a source bucket. */
export interface WaitingGroupKey {
  project: string;
  bucket: string;
  /** The members' folder: their keys' dirname without trailing `/` (`''` at the bucket's root, `folderOf`). */
  folder: string;
  routeId: string;
}

/** A group whose marker has not landed, as the ledger remembers it. */
export interface WaitingGroup extends WaitingGroupKey {
  firstSeenAt: number;
  lastSeenAt: number;
  /** Members present when it was last seen waiting. */
  members: number;
  /** Set when the group timed out (`group_timeout`): its members were dead-lettered. */
  deadAt?: number;
  reason?: string;
}

/**
 * The ledger's memory of waiting groups (router/group.ts). Every backend
 * guarantees: `record` keeps the first time a group was seen waiting (a
 * group that had timed out starts again), `resolve` forgets a group that
 * completed, `expire` marks an open group dead once (true only for the call
 * that did), `open` lists the groups neither resolved nor dead, oldest first.
 */
export interface WaitingBook {
  record(group: WaitingGroupKey, members: number, at: number): Promise<void>;
  resolve(group: WaitingGroupKey): Promise<void>;
  expire(group: WaitingGroupKey, at: number, reason: string): Promise<boolean>;
  open(limit?: number): Promise<WaitingGroup[]>;
}

export type ClaimResult =
  /** This caller now holds the delivery until the lease expires. */
  | { status: 'claimed'; record: DeliveryRecord }
  /**
   * Already terminal. A `done` one is done only while its destination holds
   * it: the router looks there before trusting it, and `reopen`s it when not.
   */
  | { status: 'terminal'; record: DeliveryRecord }
  /** Another worker holds a live lease. */
  | { status: 'busy'; record: DeliveryRecord }
  /** Failed earlier and its next attempt is not due yet. */
  | { status: 'backoff'; record: DeliveryRecord };

export interface TransitionPatch {
  errorCode?: string;
  lastError?: string;
  nextAttemptAt?: number;
  crc32c?: string;
  bytesThroughProcess?: number;
  /** The destination may change under the `version` conflict policy. */
  destination?: Location;
  /**
   * When the source was deleted, for a delivery that deleted it itself (a
   * move by rename): saves a markSourceDeleted round trip per file.
   */
  sourceDeletedAt?: number;
}

/** Why a done delivery is delivered again (`Ledger.reopen`), kept as its error code and message. */
export interface ReopenReason {
  errorCode: string;
  lastError: string;
}

export interface DeliveryQuery {
  states?: DeliveryState[];
  routeId?: string;
  /** substring of the source or destination key */
  search?: string;
  sinceMs?: number;
  limit?: number;
  /** keyset pagination: return records updated before this cursor */
  cursor?: string;
  /**
   * With `search`: examine at most this many deliveries (newest first, after
   * the cursor, within the other filters; per state when `states` names
   * several) before answering, so a search costs the same whatever the
   * ledger holds. The page may then hold fewer than
   * `limit` items (even none) with a `nextCursor` that continues the scan
   * where it stopped. Ignored without `search`.
   */
  scanLimit?: number;
}

export interface DeliveryPage {
  items: DeliveryRecord[];
  nextCursor?: string;
}

export interface LedgerCounts {
  byState: Record<DeliveryState, number>;
  unrouted: number;
  oldestUnroutedAt?: number;
}

export interface RouteStat {
  routeId: string;
  deliveries: number;
  done: number;
  failed: number;
  dead: number;
  bytes: number;
  lastAt?: number;
}

/** Done deliveries from one source bucket to one destination bucket. */
export interface FlowStat {
  sourceProject: string;
  sourceBucket: string;
  destinationProject: string;
  destinationBucket: string;
  files: number;
  bytes: number;
}

/** One item of `transitionMany`. */
export interface TransitionItem {
  id: string;
  state: DeliveryState;
  patch?: TransitionPatch;
}

/** A read of one delivery, which the write path decides on and a report shows (its timeline: the stamps). */
export interface DeliveryLookup {
  get(id: string): Promise<DeliveryRecord | undefined>;
}

/**
 * The write path of the durable record of deliveries: what the router, the
 * drains and the operator's retries do (test/conformance/ledger.ts proves it).
 *
 * - `claim` inserts the plan if the id is new, then grants the caller a lease
 *   unless the delivery is terminal, leased by another live owner, or in
 *   backoff. Two callers racing on one id: exactly one gets `claimed`.
 *   A lease whose owner died is taken over after it expires. A claim by the
 *   current holder renews its lease. An existing delivery keeps its stored
 *   plan (the plan passed in only matters for a new id).
 * - `transition` only succeeds for the current lease holder (returns false
 *   otherwise) and never moves a terminal delivery back. The holder may still
 *   transition after its lease expired as long as nobody took it over.
 * - Writing `failed` or `dead` increments `attempts`; `failed` sets
 *   `nextAttemptAt` (the patch's, else now); `dead` is terminal. Entering
 *   `written`, `verified`, `done` stamps `writtenAt`, `verifiedAt`, `doneAt`.
 *   Writing `failed` or a terminal state ends the lease (`claimedBy` cleared),
 *   so a retry need not wait for the lease to expire.
 * - `release` ends the caller's lease (no-op when it is not the holder).
 * - `reopen` is for a `done` delivery whose destination no longer holds its
 *   bytes (the ledger is a memory, the destination the truth): the delivery
 *   becomes `planned` again, leased to the caller like a fresh claim, a new
 *   attempt. `reason` is kept as its `errorCode`/`lastError` (why it was
 *   delivered again); `attempts`, `createdAt` and the plan stay; the stamps of
 *   the earlier attempt (`writtenAt`, `verifiedAt`, `doneAt`,
 *   `sourceDeletedAt`), `crc32c` and `bytesThroughProcess` are cleared; it no
 *   longer counts as done. Any other delivery answers as `claim` would (two
 *   callers reopening at once: one `claimed`, the other `busy`). Unknown id:
 *   undefined.
 * - `forGeneration` returns every delivery of one source generation.
 * - `retryDead` moves dead deliveries back to `failed` due now (attempts reset);
 *   `makeDue` does the same for the ones named, failed or dead.
 * - `recordUnrouted` keeps one row per source location: a later sighting
 *   updates generation, size and `lastSeenAt`, and clears `resolvedAt`
 *   (`LedgerReports.listUnrouted` and `counts().unrouted` cover unresolved
 *   rows only).
 * - `claimMany` / `transitionMany` do the same as one call per item, in one
 *   round trip / transaction, results in input order.
 */
export interface Ledger extends DeliveryLookup {
  /** Groups waiting for their marker (`complete_when`). */
  readonly waiting: WaitingBook;
  claim(plan: DeliveryPlan, owner: string, leaseMs: number): Promise<ClaimResult>;
  claimMany(plans: DeliveryPlan[], owner: string, leaseMs: number): Promise<ClaimResult[]>;
  /**
   * Claims that write nothing when the ledger has no record of the id: the
   * delivery is held in this process's memory and its record is written
   * whole, once, by its first transition to any state but `written` (a move
   * that stands is one insert, `done`). For a known id it is `claim`. A
   * `claim` of a held id renews it for its holder and answers `busy` to
   * anyone else; `release` ends a hold without writing. Another process sees
   * nothing of a hold, so two may deliver one id at once: callers hold only
   * where the destination write itself refuses to replace what is there (a
   * hard link, a conditional write), so that exactly one write stands and
   * the other judges it. Optional: a ledger without it is claimed instead.
   * Answers in the order of `plans`, as `claimMany` does.
   */
  holdMany?(plans: DeliveryPlan[], owner: string, leaseMs: number): Promise<ClaimResult[]>;
  transition(id: string, owner: string, state: DeliveryState, patch?: TransitionPatch): Promise<boolean>;
  transitionMany(items: TransitionItem[], owner: string): Promise<boolean[]>;
  release(id: string, owner: string): Promise<void>;
  reopen(id: string, owner: string, leaseMs: number, reason: ReopenReason): Promise<ClaimResult | undefined>;
  forGeneration(source: Location, generation: string): Promise<DeliveryRecord[]>;
  /** Deliveries that wrote to this destination, newest first. */
  forDestination(destination: Location): Promise<DeliveryRecord[]>;
  markSourceDeleted(source: Location, generation: string, at: number): Promise<void>;

  recordUnrouted(
    source: Location,
    generation: string,
    size: number,
    at: number,
    reason?: string,
  ): Promise<void>;
  resolveUnrouted(source: Location, at: number): Promise<void>;
  /**
   * Resolves the open unrouted entries of one bucket last seen before
   * `seenBefore`: a whole listing of the bucket that began then did not
   * find them (deleted or renamed by hand). Returns how many.
   */
  resolveUnroutedUnseen(
    bucket: { project: string; bucket: string },
    seenBefore: number,
    at: number,
  ): Promise<number>;

  retryDead(ids?: string[]): Promise<number>;
  /**
   * Makes the `failed` and `dead` deliveries among `ids` due now: state
   * `failed`, `attempts` 0, `nextAttemptAt` now. A failed delivery a live
   * lease holds is left alone. Returns how many changed (an operator's retry
   * of a message the queue gave up on, whose deliveries sit in backoff).
   */
  makeDue(ids: string[]): Promise<number>;

  /** Owners holding a live lease right now (crash recovery). */
  activeOwners?(): Promise<string[]>;
  /**
   * Ends every lease held by `owner` or by `${owner}#…` (a dead process's
   * sub-owners); returns how many deliveries were released.
   */
  releaseOwner?(owner: string): Promise<number>;
}

/**
 * The read-only reports over the same record: the status command, the
 * dashboard, the metrics, crash recovery's look for half-done deliveries.
 * They never change a delivery.
 *
 * - `listUnrouted` and `counts().unrouted` cover unresolved unrouted files
 *   only, most recently seen first.
 * - `query` returns newest `updatedAt` first (ties by id, descending);
 *   `search` is a case-insensitive substring of the source or destination
 *   key; `sinceMs` keeps `updatedAt >= sinceMs`; `nextCursor` is set when
 *   more rows may follow.
 * - `routeStats`: per route (sorted by id), deliveries updated since
 *   `sinceMs`; `bytes` sums the size of the `done` ones.
 * - `flows`: the `done` deliveries updated since `sinceMs` (all when
 *   undefined), per (source project, source bucket, destination project,
 *   destination bucket): how many files and bytes went that way; sorted by
 *   source then destination. The dashboard calls `flows`, `routeStats` and
 *   `counts` on every refresh: a database ledger answers them from indexes
 *   and rollups, never by reading every delivery.
 */
export interface LedgerReports extends DeliveryLookup {
  /** Groups waiting for their marker, oldest first (`WaitingBook.open`). */
  listWaiting(limit: number): Promise<WaitingGroup[]>;
  listUnrouted(limit: number, offset?: number): Promise<UnroutedRecord[]>;
  query(query: DeliveryQuery): Promise<DeliveryPage>;
  counts(): Promise<LedgerCounts>;
  routeStats(sinceMs?: number): Promise<RouteStat[]>;
  flows(sinceMs?: number): Promise<FlowStat[]>;
}

/** One opened ledger: its write path and its reports over one connection (a file, a pool), closed together. */
export interface LedgerStore {
  readonly ledger: Ledger;
  readonly reports: LedgerReports;
  close(): Promise<void>;
}
