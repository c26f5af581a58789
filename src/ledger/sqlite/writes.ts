import type { Location } from '../../storage/types.js';
import { HeldDeliveries } from '../held.js';
import { DELIVERY_COLUMNS, planValues, PLAN_COLUMNS, recordFromRow, rowValues } from '../rows.js';
import { applyTransition, claimDecision, newRecord } from '../rules.js';
import type { SqliteConnection } from './connection.js';
import { rollupInserts } from './rollup.js';
import { SqliteWaitingBook } from './waiting.js';
import { REOPEN_DONE, transitionSql, verifiedThenDoneSql } from './sql.js';
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

/** A fresh claim: the plan's columns and the lease (the others start NULL), bound by position. */
const INSERT_CLAIM = `INSERT INTO deliveries (${PLAN_COLUMNS.join(', ')}, state, attempts, created_at, updated_at, claimed_by, claim_expires_at)
  VALUES (${PLAN_COLUMNS.map(() => '?').join(', ')}, 'planned', 0, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`;
/** A held delivery's whole record, written once (Ledger.holdMany); a row already there wins. */
const INSERT_RECORD = `INSERT INTO deliveries (${DELIVERY_COLUMNS.join(', ')})
  VALUES (${DELIVERY_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (id) DO NOTHING`;
const SOURCE = 'source_project = ? AND source_bucket = ? AND source_key = ?';
const UNROUTED_KEY = 'project = ? AND bucket = ? AND key = ?';
/** A file's unrouted entry, once a delivery of it is recorded (Ledger.resolveUnrouted). */
const RESOLVE_UNROUTED = `UPDATE unrouted SET resolved_at = ? WHERE ${UNROUTED_KEY} AND resolved_at IS NULL`;
const REVIVE =
  "UPDATE deliveries SET state = 'failed', attempts = 0, next_attempt_at = ?, updated_at = ?, " +
  'claimed_by = NULL, claim_expires_at = NULL WHERE ';

/**
 * The SQLite ledger's write path. Claims and transitions run in `BEGIN
 * IMMEDIATE` transactions (a batch in one), so two processes sharing the
 * file never both hold one delivery.
 */
export class SqliteLedger implements Ledger {
  private readonly held = new HeldDeliveries();
  readonly waiting: SqliteWaitingBook;

  constructor(private readonly c: SqliteConnection) {
    this.waiting = new SqliteWaitingBook(c);
  }

  async claim(plan: DeliveryPlan, owner: string, leaseMs: number): Promise<ClaimResult> {
    if (this.held.has(plan.id)) return this.held.claim(plan.id, owner, leaseMs, this.c.now());
    return this.c.tx.write(() => this.claimOne(plan, owner, leaseMs, this.c.now()));
  }

  /**
   * Ledger.holdMany: one read of the ids, and no write unless the ledger
   * knows one (those are claimed, in one write transaction).
   */
  async holdMany(plans: DeliveryPlan[], owner: string, leaseMs: number): Promise<ClaimResult[]> {
    const now = this.c.now();
    const known = this.c.tx.read(() => {
      const exists = this.c.statement('SELECT 1 FROM deliveries WHERE id = ?');
      return plans.map((p) => !this.held.has(p.id) && exists.get(p.id) !== undefined);
    });
    const claimed = known.some(Boolean)
      ? await this.claimMany(
          plans.filter((_, i) => known[i]),
          owner,
          leaseMs,
        )
      : [];
    let k = 0;
    return plans.map((plan, i) => {
      if (known[i]) return claimed[k++] as ClaimResult;
      return this.held.has(plan.id)
        ? this.held.claim(plan.id, owner, leaseMs, now)
        : this.held.take(plan, owner, leaseMs, now);
    });
  }

  async claimMany(plans: DeliveryPlan[], owner: string, leaseMs: number): Promise<ClaimResult[]> {
    if (plans.length === 0) return [];
    return this.c.tx.write(() => {
      const now = this.c.now();
      return plans.map((plan) =>
        this.held.has(plan.id)
          ? this.held.claim(plan.id, owner, leaseMs, now)
          : this.claimOne(plan, owner, leaseMs, now),
      );
    });
  }

  async transition(
    id: string,
    owner: string,
    state: DeliveryState,
    patch?: TransitionPatch,
  ): Promise<boolean> {
    return (await this.transitionMany([patch ? { id, state, patch } : { id, state }], owner))[0] as boolean;
  }

  async transitionMany(items: TransitionItem[], owner: string): Promise<boolean[]> {
    if (items.length === 0) return [];
    return this.c.tx.write(() => {
      const now = this.c.now();
      const inserted: DeliveryRecord[] = [];
      const results: boolean[] = [];
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        const next = items[i + 1];
        if (
          item.state === 'verified' &&
          next?.id === item.id &&
          next.state === 'done' &&
          !this.held.has(item.id)
        ) {
          // a claimed copy's two records in one UPDATE: the second holds exactly when the first does
          const { sql, params } = verifiedThenDoneSql(item.id, owner, item.patch, next.patch, now);
          const changed = this.c.run(sql, params).changes === 1;
          results.push(changed, changed);
          i++;
          continue;
        }
        const advanced = this.held.advance(item.id, owner, item.state, item.patch, now);
        if (!advanced) {
          results.push(this.transitionOne(item.id, owner, item.state, item.patch, now));
          continue;
        }
        if (!advanced.write) {
          results.push(true);
          continue;
        }
        // a held copy's `verified` and the `done` right after it: its record inserted once, done
        const both = advanced.record.state === 'verified' && next?.id === item.id && next.state === 'done';
        const record = both ? applyTransition(advanced.record, 'done', next.patch, now) : advanced.record;
        const written = this.c.run(INSERT_RECORD, rowValues(record)).changes === 1;
        if (written) this.resolveRouted(record.source, now);
        if (written && record.state === 'done') inserted.push(record);
        results.push(written);
        if (both) {
          results.push(written);
          i++;
        }
      }
      for (const { sql, params } of rollupInserts(inserted)) this.c.run(sql, params);
      return results;
    });
  }

  async release(id: string, owner: string): Promise<void> {
    if (this.held.release(id, owner)) return;
    this.c.run(
      'UPDATE deliveries SET claimed_by = NULL, claim_expires_at = NULL WHERE id = ? AND claimed_by = ?',
      [id, owner],
    );
  }

  async reopen(
    id: string,
    owner: string,
    leaseMs: number,
    reason: ReopenReason,
  ): Promise<ClaimResult | undefined> {
    return this.c.tx.write(() => {
      const now = this.c.now();
      const params = [now, reason.errorCode, reason.lastError, owner, now + leaseMs, id];
      const reopened = this.c.run(REOPEN_DONE, params).changes === 1;
      const record = this.c.getOne(id);
      if (!record) return undefined;
      return reopened ? { status: 'claimed' as const, record } : this.claimOne(record, owner, leaseMs, now);
    });
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    return this.held.get(id) ?? this.c.getOne(id);
  }

  async forGeneration(source: Location, generation: string): Promise<DeliveryRecord[]> {
    const stored = this.c
      .rows(`SELECT * FROM deliveries WHERE ${SOURCE} AND generation = ? ORDER BY route_id, id`, [
        source.project,
        source.bucket,
        source.key,
        generation,
      ])
      .map(recordFromRow);
    const held = this.held.forGeneration(source, generation);
    if (held.length === 0) return stored;
    return [...stored, ...held].sort((a, b) => byBinary(a.routeId, b.routeId) || byBinary(a.id, b.id));
  }

  async forDestination(destination: Location): Promise<DeliveryRecord[]> {
    return this.c
      .rows(
        'SELECT * FROM deliveries WHERE dest_project = ? AND dest_bucket = ? AND dest_key = ? ORDER BY updated_at DESC, id DESC',
        [destination.project, destination.bucket, destination.key],
      )
      .map(recordFromRow);
  }

  async markSourceDeleted(source: Location, generation: string, at: number): Promise<void> {
    this.c.run(`UPDATE deliveries SET source_deleted_at = ? WHERE ${SOURCE} AND generation = ?`, [
      at,
      source.project,
      source.bucket,
      source.key,
      generation,
    ]);
  }

  async recordUnrouted(
    source: Location,
    generation: string,
    size: number,
    at: number,
    reason?: string,
  ): Promise<void> {
    this.c.run(
      `INSERT INTO unrouted (project, bucket, key, generation, size, first_seen_at, last_seen_at, resolved_at, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)
       ON CONFLICT (project, bucket, key) DO UPDATE SET
         generation = excluded.generation,
         size = excluded.size,
         reason = excluded.reason,
         first_seen_at = CASE WHEN resolved_at IS NULL THEN min(first_seen_at, excluded.first_seen_at) ELSE excluded.first_seen_at END,
         last_seen_at = CASE WHEN resolved_at IS NULL THEN max(last_seen_at, excluded.last_seen_at) ELSE excluded.last_seen_at END,
         resolved_at = NULL`,
      [source.project, source.bucket, source.key, generation, size, at, at, reason ?? null],
    );
  }

  async resolveUnrouted(source: Location, at: number): Promise<void> {
    this.resolveRouted(source, at);
  }

  async resolveUnroutedUnseen(
    where: { project: string; bucket: string },
    seenBefore: number,
    at: number,
  ): Promise<number> {
    return this.c.run(
      'UPDATE unrouted SET resolved_at = ? WHERE project = ? AND bucket = ? AND resolved_at IS NULL AND last_seen_at < ?',
      [at, where.project, where.bucket, seenBefore],
    ).changes;
  }

  /** A file with a delivery recorded is routed: its unrouted entry, if open, is resolved in the same transaction. */
  private resolveRouted(source: Location, at: number): void {
    this.c.run(RESOLVE_UNROUTED, [at, source.project, source.bucket, source.key]);
  }

  async retryDead(ids?: string[]): Promise<number> {
    const dead = `${REVIVE}state = 'dead'`;
    return this.c.tx.write(() => {
      const now = this.c.now();
      if (ids === undefined) return this.c.run(dead, [now, now]).changes;
      let changed = 0;
      for (const id of new Set(ids)) changed += this.c.run(`${dead} AND id = ?`, [now, now, id]).changes;
      return changed;
    });
  }

  async makeDue(ids: string[]): Promise<number> {
    const due = `${REVIVE}id = ? AND (state = 'dead' OR (state = 'failed' AND (claimed_by IS NULL OR claim_expires_at <= ?)))`;
    return this.c.tx.write(() => {
      const now = this.c.now();
      let changed = 0;
      for (const id of new Set(ids)) changed += this.c.run(due, [now, now, id, now]).changes;
      return changed;
    });
  }

  async activeOwners(): Promise<string[]> {
    return this.c
      .rows<{
        claimed_by: string;
      }>(
        'SELECT DISTINCT claimed_by FROM deliveries WHERE claimed_by IS NOT NULL AND claim_expires_at > ? ORDER BY claimed_by',
        [this.c.now()],
      )
      .map((r) => r.claimed_by);
  }

  async releaseOwner(owner: string): Promise<number> {
    return this.c.run(
      `UPDATE deliveries SET claimed_by = NULL, claim_expires_at = NULL
       WHERE claimed_by IS NOT NULL AND (claimed_by = ? OR (claimed_by >= ? AND claimed_by < ?))`,
      [owner, `${owner}#`, `${owner}$`],
    ).changes;
  }

  private claimOne(plan: DeliveryPlan, owner: string, leaseMs: number, now: number): ClaimResult {
    const expires = now + leaseMs;
    const inserted = this.c.run(INSERT_CLAIM, [...planValues(plan), now, now, owner, expires]);
    if (inserted.changes === 1) {
      this.resolveRouted(plan.source, now);
      return {
        status: 'claimed',
        record: { ...newRecord(plan, now), claimedBy: owner, claimExpiresAt: expires },
      };
    }
    const record = this.c.getOne(plan.id) as DeliveryRecord;
    const status = claimDecision(record, owner, now);
    if (status !== 'claimed') return { status, record };
    record.claimedBy = owner;
    record.claimExpiresAt = expires;
    this.c.run('UPDATE deliveries SET claimed_by = ?, claim_expires_at = ? WHERE id = ?', [
      owner,
      expires,
      plan.id,
    ]);
    return { status, record };
  }

  private transitionOne(
    id: string,
    owner: string,
    state: DeliveryState,
    patch: TransitionPatch | undefined,
    now: number,
  ): boolean {
    const { sql, params } = transitionSql(id, owner, state, patch, now);
    return this.c.run(sql, params).changes === 1;
  }
}

/** SQLite's BINARY order of two texts (as `ORDER BY` sorts them). */
function byBinary(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
