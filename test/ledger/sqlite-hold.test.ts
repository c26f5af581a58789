// SQLite-only: Ledger.holdMany, the lean path of a delivery whose destination
// write refuses to replace. A hold writes nothing; the record reaches the
// file once, whole, at its first transition other than `written`, and the
// rollups count a record inserted `done` exactly as one that went through
// claim and transitions (compared with the memory ledger, which claims).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryLedger } from '../../src/ledger/memory/ledger.js';
import { HOUR_MS } from '../../src/ledger/sqlite/rollup.js';
import { LEDGER_MIGRATIONS } from '../../src/ledger/sqlite/schema.js';
import { sqliteLedgerStore } from '../../src/ledger/sqlite/ledger.js';
import type { ClaimResult, DeliveryPlan, Ledger, LedgerStore } from '../../src/ledger/types.js';
import { migrateSqlite, openSqliteFile, type SqliteDatabase } from '../../src/util/sqlite.js';

const T0 = Date.UTC(2024, 0, 1, 10, 0, 0);

async function hold(
  ledger: Ledger,
  plan: DeliveryPlan,
  owner: string,
  leaseMs: number,
): Promise<ClaimResult> {
  return (await ledger.holdMany!([plan], owner, leaseMs))[0]!;
}

function plan(n: number): DeliveryPlan {
  return {
    id: `h-${String(n).padStart(4, '0')}`,
    source: { project: 'p', bucket: `in-${n % 2}`, key: `f-${n}.csv` },
    generation: 'g1',
    routeId: `r${n % 3}`,
    destination: { project: 'q', bucket: `out-${n % 3}`, key: `d/f-${n}.csv` },
    action: n % 4 === 0 ? 'copy' : 'move',
    size: 100 + n,
  };
}

describe('SQLite ledger: hold (a delivery recorded once it stands)', () => {
  let dir: string | undefined;
  let db: SqliteDatabase | undefined;
  afterEach(async () => {
    if (db?.open) db.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function open(): Promise<{ clock: { now: number }; sqlite: LedgerStore; memory: LedgerStore }> {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-hold-'));
    db = openSqliteFile(join(dir, 'ledger.db'));
    migrateSqlite(db, 'ledger', LEDGER_MIGRATIONS);
    const clock = { now: T0 };
    return {
      clock,
      sqlite: sqliteLedgerStore(db, { now: () => clock.now }),
      memory: createMemoryLedger({ now: () => clock.now }),
    };
  }

  const rows = (): number => db!.prepare('SELECT count(*) FROM deliveries').pluck().get() as number;

  it('writes nothing for a hold, a renewal, a `written` or a release; other owners see it busy', async () => {
    const { clock, sqlite } = await open();
    const { ledger } = sqlite;
    const p = plan(1);
    expect((await hold(ledger, p, 'a', 60_000)).status).toBe('claimed');
    expect(rows()).toBe(0);
    expect((await ledger.claim(p, 'b', 60_000)).status).toBe('busy');
    expect((await hold(ledger, p, 'b', 60_000)).status).toBe('busy');
    expect((await ledger.claim(p, 'a', 60_000)).status).toBe('claimed');
    expect(await ledger.transition(p.id, 'a', 'written', { bytesThroughProcess: 0 })).toBe(true);
    expect(rows()).toBe(0);
    expect((await ledger.get(p.id))?.state).toBe('written');
    expect(await ledger.forGeneration(p.source, 'g1')).toHaveLength(1);
    expect(await ledger.transition(p.id, 'b', 'done')).toBe(false);
    await ledger.release(p.id, 'a');
    expect(rows()).toBe(0);
    expect(await ledger.get(p.id)).toBeUndefined();
    // a lapsed hold is anyone's
    expect((await hold(ledger, p, 'a', 1_000)).status).toBe('claimed');
    clock.now += 2_000;
    expect((await hold(ledger, p, 'b', 60_000)).status).toBe('claimed');
    expect(await ledger.transition(p.id, 'a', 'done')).toBe(false);
    expect(await ledger.transition(p.id, 'b', 'done', { sourceDeletedAt: clock.now })).toBe(true);
    expect(rows()).toBe(1);
    const stored = await ledger.get(p.id);
    expect(stored).toMatchObject({ state: 'done', sourceDeletedAt: clock.now });
  });

  it('claims an id the file already knows, in the file', async () => {
    const { sqlite } = await open();
    const { ledger } = sqlite;
    const p = plan(2);
    await ledger.claim(p, 'a', 60_000);
    await ledger.transition(p.id, 'a', 'failed', { lastError: 'x', nextAttemptAt: T0 });
    await ledger.release(p.id, 'a');
    expect((await hold(ledger, p, 'b', 60_000)).status).toBe('claimed');
    expect(db!.prepare('SELECT claimed_by FROM deliveries WHERE id = ?').pluck().get(p.id)).toBe('b');
  });

  it('answers a group in order: known ids claimed in the file, new ones held', async () => {
    const { sqlite } = await open();
    const { ledger } = sqlite;
    const plans = [plan(10), plan(11), plan(12), plan(13)];
    await ledger.claim(plans[1]!, 'a', 60_000);
    await ledger.claim(plans[3]!, 'other', 60_000);
    const answers = await ledger.holdMany!(plans, 'a', 60_000);
    expect(answers.map((a) => [a.record.id, a.status])).toEqual([
      [plans[0]!.id, 'claimed'],
      [plans[1]!.id, 'claimed'],
      [plans[2]!.id, 'claimed'],
      [plans[3]!.id, 'busy'],
    ]);
    expect(rows()).toBe(2);
  });

  it('keeps the row already there when two processes held one delivery', async () => {
    const { sqlite } = await open();
    const other = sqliteLedgerStore(db!, { now: () => T0 });
    const p = plan(3);
    expect((await hold(sqlite.ledger, p, 'a', 60_000)).status).toBe('claimed');
    expect((await hold(other.ledger, p, 'b', 60_000)).status).toBe('claimed');
    expect(await other.ledger.transition(p.id, 'b', 'done')).toBe(true);
    expect(await sqlite.ledger.transition(p.id, 'a', 'failed', { lastError: 'lost the race' })).toBe(false);
    expect((await sqlite.ledger.get(p.id))?.state).toBe('done');
    expect((await sqlite.reports.counts()).byState.done).toBe(1);
  });

  it('counts records inserted `done` in counts, routeStats and flows as a row-by-row count does', async () => {
    const { clock, sqlite, memory } = await open();
    for (let n = 0; n < 90; n++) {
      const p = plan(n);
      clock.now = T0 + n * 1_900_000;
      // memory claims and walks the states; SQLite holds and writes once
      await memory.ledger.claim(p, 'w', 60_000);
      if (n % 2) await memory.ledger.transition(p.id, 'w', 'verified');
      expect((await hold(sqlite.ledger, p, 'w', 60_000)).status).toBe('claimed');
      if (n % 2) await sqlite.ledger.transition(p.id, 'w', 'verified');
      clock.now += n % 5 === 0 ? HOUR_MS : 500;
      const state = n % 9 === 0 ? 'failed' : 'done';
      const patch = state === 'failed' ? { lastError: 'boom', nextAttemptAt: clock.now } : {};
      await memory.ledger.transition(p.id, 'w', state, patch);
      // a batch of transitions sharing route and hour: summed once per key
      await sqlite.ledger.transitionMany([{ id: p.id, state, patch }], 'w');
    }
    expect(rows()).toBe(90);
    expect(await sqlite.reports.counts()).toEqual(await memory.reports.counts());
    for (const since of [undefined, T0, T0 + 3 * HOUR_MS + 1, T0 + 30 * HOUR_MS])
      for (const report of ['routeStats', 'flows'] as const)
        expect(await sqlite.reports[report](since), `${report}(${since})`).toEqual(
          await memory.reports[report](since),
        );
  });

  it('sums a group of inserted done records per route and hour', async () => {
    const { clock, sqlite, memory } = await open();
    const plans = Array.from({ length: 40 }, (_, n) => plan(n));
    for (const p of plans) {
      await memory.ledger.claim(p, 'w', 60_000);
      await hold(sqlite.ledger, p, 'w', 60_000);
    }
    clock.now += 10;
    const items = plans.map((p) => ({ id: p.id, state: 'done' as const }));
    await memory.ledger.transitionMany(items, 'w');
    expect(await sqlite.ledger.transitionMany(items, 'w')).toEqual(plans.map(() => true));
    expect(await sqlite.reports.routeStats()).toEqual(await memory.reports.routeStats());
    expect(await sqlite.reports.flows()).toEqual(await memory.reports.flows());
    expect(db!.prepare('SELECT count(*) FROM delivery_hours').pluck().get()).toBeLessThanOrEqual(3 * 2);
  });
  it('a `verified` and the `done` right after it in one transitionMany: one write, the row, answers and counts of the two one after the other', async () => {
    const { clock, sqlite, memory } = await open();
    // claimed (the row written at the claim) and held (the record not written yet), one by
    // another owner, one already done: each batch holds the pair of each, and single items
    const plans = Array.from({ length: 24 }, (_, n) => plan(n));
    for (const [n, p] of plans.entries()) {
      // another owner's claim (a hold of another owner is not in the file: counted by memory only)
      const owner = n % 7 === 6 && n % 2 === 1 ? 'other' : 'w';
      await memory.ledger.claim(p, owner, 60_000);
      if (n % 2) await sqlite.ledger.claim(p, owner, 60_000);
      else await hold(sqlite.ledger, p, owner, 60_000);
      if (n % 8 === 7) {
        await memory.ledger.transition(p.id, owner, 'done');
        await sqlite.ledger.transition(p.id, owner, 'done');
      }
    }
    clock.now += 2 * HOUR_MS;
    const items = plans.flatMap((p, n) => [
      { id: p.id, state: 'verified' as const, patch: { crc32c: `c${n}`, bytesThroughProcess: n } },
      ...(n % 5 === 4
        ? []
        : [
            {
              id: p.id,
              state: 'done' as const,
              patch: { sourceDeletedAt: clock.now - n, bytesThroughProcess: n % 3 ? 100 + n : undefined },
            },
          ]),
    ]);
    const answers = await sqlite.ledger.transitionMany(items, 'w');
    const walked: boolean[] = [];
    for (const item of items)
      walked.push(await memory.ledger.transition(item.id, 'w', item.state, item.patch));
    expect(answers).toEqual(walked);
    expect(answers.filter(Boolean).length).toBeGreaterThan(answers.length / 2);
    for (const p of plans) expect(await sqlite.ledger.get(p.id), p.id).toEqual(await memory.ledger.get(p.id));
    expect(await sqlite.reports.counts()).toEqual(await memory.reports.counts());
    expect(await sqlite.reports.routeStats()).toEqual(await memory.reports.routeStats());
    expect(await sqlite.reports.flows()).toEqual(await memory.reports.flows());
  });
});
