// Opening a component's SQLite file: a new file is made beside its path and
// linked into place whole; tables already at the newest version are only read.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  migrateSqlite,
  openMigratedSqlite,
  openSqliteFile,
  type SqliteDatabase,
  type SqliteMigration,
} from '../../src/util/sqlite.js';

const MIGRATIONS: SqliteMigration[] = [
  {
    version: 1,
    description: 'items',
    sql: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)',
  },
  { version: 2, description: 'item size', sql: 'ALTER TABLE items ADD COLUMN size INTEGER' },
];

describe('SQLite files', () => {
  let dir: string | undefined;
  const opened: SqliteDatabase[] = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) if (db.open) db.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const open = (db: SqliteDatabase): SqliteDatabase => (opened.push(db), db);

  it('a new file is created in WAL mode with the newest tables, in a folder made for it, leaving nothing beside it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-sqlite-'));
    const file = join(dir, 'state', 'component.db');
    const db = open(openMigratedSqlite(file, 'items', MIGRATIONS));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL, not the OFF it was made with
    expect(db.prepare("SELECT version FROM schema_version WHERE component = 'items'").pluck().get()).toBe(2);
    db.prepare('INSERT INTO items (name, size) VALUES (?, ?)').run('a', 1);
    db.close();
    expect((await readdir(join(dir, 'state'))).sort()).toEqual(['component.db']);
    const again = open(openMigratedSqlite(file, 'items', MIGRATIONS));
    expect(again.prepare('SELECT name, size FROM items').all()).toEqual([{ name: 'a', size: 1 }]);
  });

  it('an existing file at an older version is migrated in place, its rows kept', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-sqlite-'));
    const file = join(dir, 'component.db');
    const old = open(openMigratedSqlite(file, 'items', MIGRATIONS.slice(0, 1)));
    old.prepare('INSERT INTO items (name) VALUES (?)').run('kept');
    old.close();
    const db = open(openMigratedSqlite(file, 'items', MIGRATIONS, { synchronous: 'FULL' }));
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.prepare('SELECT name, size FROM items').all()).toEqual([{ name: 'kept', size: null }]);
    expect(db.prepare("SELECT version FROM schema_version WHERE component = 'items'").pluck().get()).toBe(2);
  });

  it('tables at the newest version are only read: opening waits for no writer', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-sqlite-'));
    const file = join(dir, 'component.db');
    open(openMigratedSqlite(file, 'items', MIGRATIONS)).close();
    const writer = open(new Database(file));
    writer.prepare('BEGIN IMMEDIATE').run();
    const db = open(openSqliteFile(file));
    db.pragma('busy_timeout = 0');
    expect(() => migrateSqlite(db, 'items', MIGRATIONS)).not.toThrow();
    // a migration still needs the write lock, and waits for it
    const other = [
      { version: 1, description: 'others', sql: 'CREATE TABLE others (id INTEGER PRIMARY KEY)' },
    ];
    expect(() => migrateSqlite(db, 'other', other)).toThrow(/locked/);
    writer.prepare('COMMIT').run();
    migrateSqlite(db, 'other', other);
    expect(db.prepare("SELECT version FROM schema_version WHERE component = 'other'").pluck().get()).toBe(1);
  });
});
