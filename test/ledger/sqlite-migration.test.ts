// SQLite-only: a ledger made by the release before unrouted reasons (schema
// version 5) is migrated in place when opened, its rows kept.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteLedgerStore } from '../../src/ledger/sqlite/ledger.js';
import { LEDGER_MIGRATIONS } from '../../src/ledger/sqlite/schema.js';
import { migrateSqlite, openSqliteFile, type SqliteDatabase } from '../../src/util/sqlite.js';

describe('SQLite ledger migration', () => {
  let dir: string | undefined;
  let db: SqliteDatabase | undefined;
  afterEach(async () => {
    if (db?.open) db.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('adds unrouted.reason to a version-5 ledger, keeping its unrouted files', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-migrate-'));
    db = openSqliteFile(join(dir, 'ledger.db'));
    migrateSqlite(
      db,
      'ledger',
      LEDGER_MIGRATIONS.filter((m) => m.version <= 5),
    );
    db.prepare(
      `INSERT INTO unrouted (project, bucket, key, generation, size, first_seen_at, last_seen_at)
       VALUES ('p', 'in', 'old.bin', 'g', 1, 1000, 1000)`,
    ).run();
    migrateSqlite(db, 'ledger', LEDGER_MIGRATIONS);
    expect(db.prepare("SELECT version FROM schema_version WHERE component = 'ledger'").pluck().get()).toBe(
      LEDGER_MIGRATIONS.at(-1)?.version,
    );
    const { ledger, reports } = sqliteLedgerStore(db);
    expect(await reports.listUnrouted(10)).toEqual([
      {
        source: { project: 'p', bucket: 'in', key: 'old.bin' },
        generation: 'g',
        size: 1,
        firstSeenAt: 1000,
        lastSeenAt: 1000,
      },
    ]);
    await ledger.recordUnrouted(
      { project: 'p', bucket: 'in', key: 'bad\\xFF' },
      'g',
      1,
      2000,
      'E_KEY_ENCODING',
    );
    expect((await reports.listUnrouted(1))[0]?.reason).toBe('E_KEY_ENCODING');
  });

  it('adds waiting_groups to a version-6 ledger', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-migrate-'));
    db = openSqliteFile(join(dir, 'ledger.db'));
    migrateSqlite(
      db,
      'ledger',
      LEDGER_MIGRATIONS.filter((m) => m.version <= 6),
    );
    migrateSqlite(db, 'ledger', LEDGER_MIGRATIONS);
    const { ledger, reports } = sqliteLedgerStore(db);
    const group = { project: 'p', bucket: 'in', folder: 'day/', routeId: 'r' };
    await ledger.waiting.record(group, 2, 1000);
    expect(await reports.listWaiting(5)).toEqual([{ ...group, firstSeenAt: 1000, lastSeenAt: 1000, members: 2 }]);
  });
});
