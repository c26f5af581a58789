// SQLite-only: the `delivery_hours` rollup (schema version 2) that answers
// counts, routeStats and flows without reading every delivery. These tests
// drive the ledger with a fake clock across hour boundaries and compare every
// window with the memory ledger, which computes the same answers row by row.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryLedger } from '../../src/ledger/memory/ledger.js';
import { DAY_MS, HOUR_MS } from '../../src/ledger/sqlite/rollup.js';
import { LEDGER_MIGRATIONS } from '../../src/ledger/sqlite/schema.js';
import { sqliteLedgerStore } from '../../src/ledger/sqlite/ledger.js';
import type {
  DeliveryPlan,
  DeliveryState,
  Ledger,
  LedgerReports,
  LedgerStore,
} from '../../src/ledger/types.js';
import { migrateSqlite, openSqliteFile, type SqliteDatabase } from '../../src/util/sqlite.js';

const T0 = Date.UTC(2024, 0, 1, 10, 0, 0);

function plan(n: number): DeliveryPlan {
  return {
    id: `d-${String(n).padStart(4, '0')}`,
    source: { project: 'p', bucket: `in-${n % 2}`, key: `f-${n}.csv` },
    generation: 'g1',
    routeId: `r${n % 3}`,
    destination: { project: n % 5 ? 'q' : 'z', bucket: `out-${n % 3}`, key: `d/f-${n}.csv` },
    action: 'move',
    size: 10 + n,
  };
}

/** A deterministic mix of states, spread over three days. */
async function drive(ledgers: Ledger[], clock: { now: number }): Promise<void> {
  const finals: DeliveryState[] = ['done', 'done', 'done', 'failed', 'dead', 'planned', 'verified', 'gone'];
  for (let n = 0; n < 120; n++) {
    const p = plan(n);
    const state = finals[n % finals.length]!;
    for (const ledger of ledgers) {
      clock.now = T0 + n * 2_100_000;
      expect((await ledger.claim(p, 'w', 60_000)).status).toBe('claimed');
      if (state === 'done') await ledger.transition(p.id, 'w', 'verified');
      clock.now += n % 7 === 0 ? HOUR_MS / 2 : 1_000;
      if (state !== 'planned') await ledger.transition(p.id, 'w', state);
    }
  }
  clock.now = T0 + 121 * 2_100_000;
  for (const ledger of ledgers) expect(await ledger.retryDead([plan(4).id])).toBe(1);
}

async function expectSameAnswers(sqlite: LedgerReports, memory: LedgerReports): Promise<void> {
  expect(await sqlite.counts()).toEqual(await memory.counts());
  const midnight = T0 + 14 * HOUR_MS;
  const windows = [
    undefined,
    T0 - DAY_MS,
    T0 - 1,
    T0,
    T0 + 1,
    T0 + HOUR_MS - 1,
    T0 + HOUR_MS,
    T0 + 2.5 * HOUR_MS,
    midnight - 1,
    midnight,
    midnight + 1,
    midnight + DAY_MS + 17,
    T0 + 99 * DAY_MS,
  ];
  for (const since of windows) {
    expect(await sqlite.routeStats(since), `routeStats(${since})`).toEqual(await memory.routeStats(since));
    expect(await sqlite.flows(since), `flows(${since})`).toEqual(await memory.flows(since));
  }
}

describe('SQLite ledger: the hourly rollup of done deliveries', () => {
  let dir: string | undefined;
  let db: SqliteDatabase | undefined;
  afterEach(async () => {
    if (db?.open) db.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function open(
    migrations = LEDGER_MIGRATIONS,
  ): Promise<{ clock: { now: number }; sqlite: LedgerStore; memory: LedgerStore }> {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-rollup-'));
    db = openSqliteFile(join(dir, 'ledger.db'));
    migrateSqlite(db, 'ledger', migrations);
    const clock = { now: T0 };
    return {
      clock,
      sqlite: sqliteLedgerStore(db, { now: () => clock.now }),
      memory: createMemoryLedger({ now: () => clock.now }),
    };
  }

  it('answers counts, routeStats and flows exactly as a row-by-row count, for windows on and off hour and day boundaries', async () => {
    const { clock, sqlite, memory } = await open();
    await drive([sqlite.ledger, memory.ledger], clock);
    await expectSameAnswers(sqlite.reports, memory.reports);
    const rows = (table: string) => db!.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    expect(rows('delivery_days')).toBeGreaterThan(3);
    expect(rows('delivery_days')).toBeLessThan(rows('delivery_hours'));
  });

  it('is filled from existing deliveries when a version-1 ledger is migrated, and kept up to date after', async () => {
    const { clock, sqlite, memory } = await open(LEDGER_MIGRATIONS.filter((m) => m.version === 1));
    await drive([sqlite.ledger, memory.ledger], clock);
    migrateSqlite(db!, 'ledger', LEDGER_MIGRATIONS);
    await expectSameAnswers(sqlite.reports, memory.reports);
    for (const { ledger } of [sqlite, memory]) {
      clock.now = T0 + 80 * HOUR_MS;
      await ledger.claim(plan(500), 'w', 60_000);
      await ledger.transition(plan(500).id, 'w', 'done');
    }
    await expectSameAnswers(sqlite.reports, memory.reports);
  });

  it('forgets a deleted done delivery', async () => {
    const { clock, sqlite } = await open();
    const { ledger, reports } = sqlite;
    await ledger.claim(plan(1), 'w', 60_000);
    await ledger.transition(plan(1).id, 'w', 'done');
    clock.now += 1;
    expect(await reports.flows()).toHaveLength(1);
    db!.prepare('DELETE FROM deliveries WHERE id = ?').run(plan(1).id);
    expect(await reports.flows()).toEqual([]);
    expect((await reports.counts()).byState.done).toBe(0);
    expect(await reports.routeStats()).toEqual([]);
  });
});
