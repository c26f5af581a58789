import type { Location } from '../../storage/types.js';
import type { PgConnection } from './connection.js';
import * as sql from './sql.js';
import { PostgresWaitingBook } from './waiting.js';
import { planValues, PLAN_COLUMNS, recordFromRow, type DeliveryRow } from '../rows.js';
import { claimDecision } from '../rules.js';
import type {
  ClaimResult,
  DeliveryPlan,
  DeliveryRecord,
  DeliveryState,
  Ledger,
  ReopenReason,
  TransitionItem,
  TransitionPatch,
} from '../types.js';

const CLAIM_ROUNDS = 5;

/**
 * The PostgreSQL ledger's write path.
 *
 * - Every statement is atomic on its own: a claim is an insert-if-new plus a
 *   conditional update, so two workers racing on one delivery claim it once.
 * - Leases and timestamps use the application clock (`Date.now()` passed as
 *   a parameter), like the SQLite ledger: keep worker clocks in sync (NTP).
 * - Reads, claims and releases are retried whatever the failure (running them
 *   twice is harmless); a transition is retried only when it certainly did
 *   not reach the server, otherwise the TransientError reaches the router.
 */
export class PostgresLedger implements Ledger {
  readonly waiting: PostgresWaitingBook;

  constructor(private readonly c: PgConnection) {
    this.waiting = new PostgresWaitingBook(c);
  }

  async claim(plan: DeliveryPlan, owner: string, leaseMs: number): Promise<ClaimResult> {
    const [result] = await this.claimMany([plan], owner, leaseMs);
    return result as ClaimResult;
  }

  async claimMany(plans: DeliveryPlan[], owner: string, leaseMs: number): Promise<ClaimResult[]> {
    if (plans.length === 0) return [];
    const unique = new Map<string, DeliveryPlan>();
    for (const plan of plans) if (!unique.has(plan.id)) unique.set(plan.id, plan);
    const results = new Map<string, ClaimResult>();
    let pending = [...unique.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let round = 0; pending.length > 0; round++) {
      const now = this.c.now();
      const rows = await this.c.run<DeliveryRow & { claimed: boolean }>('claim', sql.CLAIM_MANY, [
        ...planColumns(pending),
        owner,
        now,
        now + leaseMs,
      ]);
      for (const row of rows) results.set(row.id, classify(recordFromRow(row), row.claimed, owner, now));
      pending = pending.filter((plan) => !results.has(plan.id));
      if (round >= CLAIM_ROUNDS) {
        for (const plan of pending) {
          const record = await this.get(plan.id);
          if (record) results.set(plan.id, classify(record, false, owner, now));
        }
        break;
      }
    }
    return plans.map((plan) => results.get(plan.id) as ClaimResult);
  }

  async transition(
    id: string,
    owner: string,
    state: DeliveryState,
    patch?: TransitionPatch,
  ): Promise<boolean> {
    const [moved] = await this.transitionMany([{ id, state, ...(patch ? { patch } : {}) }], owner);
    return moved === true;
  }

  async transitionMany(items: TransitionItem[], owner: string): Promise<boolean[]> {
    if (items.length === 0) return [];
    const rounds: { index: number; item: TransitionItem }[][] = [];
    const roundOf = new Map<string, number>();
    items.forEach((item, index) => {
      const round = (roundOf.get(item.id) ?? -1) + 1;
      roundOf.set(item.id, round);
      (rounds[round] ??= []).push({ index, item });
    });
    const moved: boolean[] = items.map(() => false);
    for (const round of rounds) {
      const ids = await this.c.run<{ id: string }>(
        'transition',
        sql.TRANSITION_MANY,
        transitionParams(round, owner, this.c.now()),
        false,
      );
      const done = new Set(ids.map((row) => row.id));
      for (const { index, item } of round) moved[index] = done.has(item.id);
    }
    return moved;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.c.run('release', sql.RELEASE, [id, owner]);
  }

  async reopen(
    id: string,
    owner: string,
    leaseMs: number,
    reason: ReopenReason,
  ): Promise<ClaimResult | undefined> {
    const now = this.c.now();
    const params = [id, now, reason.errorCode, reason.lastError, owner, now + leaseMs];
    // conditional on `done`: run twice, the second finds it planned and leased to this owner, and claims it
    const [row] = await this.c.run<DeliveryRow>('reopen', sql.REOPEN_DONE, params);
    if (row) return { status: 'claimed', record: recordFromRow(row) };
    const record = await this.get(id);
    return record ? this.claim(record, owner, leaseMs) : undefined;
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    return this.c.getOne(id);
  }

  async forGeneration(source: Location, generation: string): Promise<DeliveryRecord[]> {
    const rows = await this.c.run<DeliveryRow>('forGeneration', sql.FOR_GENERATION, [
      source.project,
      source.bucket,
      source.key,
      generation,
    ]);
    return rows.map(recordFromRow);
  }

  async forDestination(destination: Location): Promise<DeliveryRecord[]> {
    const rows = await this.c.run<DeliveryRow>('forDestination', sql.FOR_DESTINATION, [
      destination.project,
      destination.bucket,
      destination.key,
    ]);
    return rows.map(recordFromRow);
  }

  async markSourceDeleted(source: Location, generation: string, at: number): Promise<void> {
    await this.c.run('markSourceDeleted', sql.MARK_SOURCE_DELETED, [
      source.project,
      source.bucket,
      source.key,
      generation,
      at,
    ]);
  }

  async recordUnrouted(
    source: Location,
    generation: string,
    size: number,
    at: number,
    reason?: string,
  ): Promise<void> {
    await this.c.run('recordUnrouted', sql.RECORD_UNROUTED, [
      source.project,
      source.bucket,
      source.key,
      generation,
      size,
      at,
      reason ?? null,
    ]);
  }

  async resolveUnrouted(source: Location, at: number): Promise<void> {
    await this.c.run('resolveUnrouted', sql.RESOLVE_UNROUTED, [
      source.project,
      source.bucket,
      source.key,
      at,
    ]);
  }

  async resolveUnroutedUnseen(
    where: { project: string; bucket: string },
    seenBefore: number,
    at: number,
  ): Promise<number> {
    return this.c.count('resolveUnroutedUnseen', sql.RESOLVE_UNROUTED_UNSEEN, [
      where.project,
      where.bucket,
      seenBefore,
      at,
    ]);
  }

  async retryDead(ids?: string[]): Promise<number> {
    return this.c.count('retryDead', sql.RETRY_DEAD, [this.c.now(), ids ?? null]);
  }

  async makeDue(ids: string[]): Promise<number> {
    return this.c.count('makeDue', sql.MAKE_DUE, [this.c.now(), [...new Set(ids)]]);
  }

  async activeOwners(): Promise<string[]> {
    const rows = await this.c.run<{ claimed_by: string }>('activeOwners', sql.ACTIVE_OWNERS, [this.c.now()]);
    return rows.map((row) => row.claimed_by).sort();
  }

  async releaseOwner(owner: string): Promise<number> {
    return this.c.count('releaseOwner', sql.RELEASE_OWNER, [owner]);
  }
}

/** A batch of plans as one array per plan column, in `PLAN_COLUMNS` order (for `unnest`). */
function planColumns(plans: readonly DeliveryPlan[]): (string | number)[][] {
  const columns: (string | number)[][] = PLAN_COLUMNS.map(() => []);
  for (const plan of plans) planValues(plan).forEach((value, i) => columns[i]?.push(value));
  return columns;
}

/** A row the claim statement left alone answers as `claimDecision` says; one that looked claimable lost a race: busy. */
function classify(record: DeliveryRecord, claimed: boolean, owner: string, now: number): ClaimResult {
  if (claimed) return { status: 'claimed', record };
  const status = claimDecision(record, owner, now);
  return { status: status === 'claimed' ? 'busy' : status, record };
}

function transitionParams(round: { item: TransitionItem }[], owner: string, now: number): unknown[] {
  const column = <T>(pick: (patch: TransitionPatch) => T | undefined): (T | null)[] =>
    round.map(({ item }) => (item.patch ? (pick(item.patch) ?? null) : null));
  return [
    round.map(({ item }) => item.id),
    round.map(({ item }) => item.state),
    column((p) => p.errorCode),
    column((p) => p.lastError),
    column((p) => p.nextAttemptAt),
    column((p) => p.crc32c),
    column((p) => p.bytesThroughProcess),
    column((p) => p.destination?.project),
    column((p) => p.destination?.bucket),
    column((p) => p.destination?.key),
    owner,
    now,
    column((p) => p.sourceDeletedAt),
  ];
}
