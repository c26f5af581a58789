import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { ConfigInvalidError } from '../model/errors.js';

export type SqliteDatabase = BetterSqlite3.Database;

/**
 * better-sqlite3, required rather than imported: an ES module importing a
 * CommonJS one makes Node start its CommonJS export scanner (a WebAssembly
 * module) first, on every start, for this one package.
 */
const requireCjs = createRequire(import.meta.url);
const Database = requireCjs('better-sqlite3') as typeof BetterSqlite3;

let addon: string | null | undefined;

/**
 * Where better-sqlite3's install puts its addon (build/Release), handed to
 * it: its own search (the `bindings` package: a stack trace and a dozen
 * paths tried) took longer than opening the database. Elsewhere (a debug
 * build): left to that search.
 */
function addonOption(): BetterSqlite3.Options {
  if (addon === undefined) {
    try {
      addon = requireCjs.resolve('better-sqlite3/build/Release/better_sqlite3.node');
    } catch {
      addon = null;
    }
  }
  return addon === null ? {} : { nativeBinding: addon };
}

/** One step of a component's schema. Append-only: never edit a released one. */
export interface SqliteMigration {
  version: number;
  description: string;
  sql: string;
}

/**
 * Opens (creating parent folders) a SQLite file the way every switchyard
 * component wants it: WAL, `busy_timeout` 5 s so two processes wait for each
 * other instead of failing, and `synchronous` NORMAL (the default: a commit
 * survives a process crash; a power loss may drop the last ones, never
 * corrupt) or FULL (a commit survives a power loss too).
 */
export function openSqliteFile(
  path: string,
  options: { synchronous?: 'NORMAL' | 'FULL' } = {},
): SqliteDatabase {
  if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, addonOption());
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  // Statement journals (a statement that fires triggers or touches several
  // indexes may need to undo itself) stay in memory instead of a temp file:
  // a ledger write cost 30% more with them on disk.
  db.pragma('temp_store = MEMORY');
  return db;
}

/**
 * Opens `path` as openSqliteFile does, with `component`'s tables at their
 * newest version (migrateSqlite). A file that does not exist yet is made
 * whole beside it first: WAL set and tables created without syncing, then
 * one fsync of the file, a hard link to `path` and one fsync of the folder.
 * A first run pays those two fsyncs instead of about eight (a rollback
 * journal to switch to WAL, the WAL's first commit, the checkpoint at
 * close), and a crash leaves no half-made file at `path`. Of processes
 * creating it together, the first link wins and the others open its file.
 */
export function openMigratedSqlite(
  path: string,
  component: string,
  migrations: readonly SqliteMigration[],
  options: { synchronous?: 'NORMAL' | 'FULL' } = {},
): SqliteDatabase {
  if (path !== ':memory:' && !path.startsWith('file:') && !existsSync(path))
    createSqliteFile(path, component, migrations);
  const db = openSqliteFile(path, options);
  try {
    migrateSqlite(db, component, migrations);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function createSqliteFile(path: string, component: string, migrations: readonly SqliteMigration[]): void {
  const folder = dirname(path);
  mkdirSync(folder, { recursive: true });
  // a name no other creator picks (not a secret: no node:crypto for it at a first run)
  const staged = `${path}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.creating`;
  try {
    const db = new Database(staged, addonOption());
    try {
      db.pragma('synchronous = OFF');
      db.pragma('journal_mode = WAL');
      migrateSqlite(db, component, migrations);
    } finally {
      db.close();
    }
    syncPath(staged);
    try {
      linkSync(staged, path);
    } catch {
      // EEXIST: another process made it first, and its file is the one opened;
      // anything else (a file system without hard links): it is made in place
      return;
    }
    syncPath(folder);
  } finally {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${staged}${suffix}`, { force: true });
  }
}

function syncPath(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Brings `component`'s tables to the newest version, in one IMMEDIATE
 * transaction: processes opening the same file together migrate once. Several
 * components (ledger, queue) may share a file; each has its own row in
 * `schema_version`. Tables already at the newest version are only read: no
 * write lock is waited for.
 */
export function migrateSqlite(
  db: SqliteDatabase,
  component: string,
  migrations: readonly SqliteMigration[],
): void {
  const newest = Math.max(0, ...migrations.map((m) => m.version));
  const known = db
    .prepare<[], number>("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    .pluck()
    .get();
  if (
    known !== undefined &&
    db
      .prepare<[string], number>('SELECT version FROM schema_version WHERE component = ?')
      .pluck()
      .get(component) === newest
  )
    return;
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const read = db.prepare<[string], number>('SELECT version FROM schema_version WHERE component = ?').pluck();
  const write = db.prepare(
    'INSERT INTO schema_version (component, version, applied_at) VALUES (?, ?, ?) ' +
      'ON CONFLICT (component) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at',
  );
  db.transaction(() => {
    const current = read.get(component) ?? 0;
    if (current > newest) {
      throw new ConfigInvalidError(
        db.name,
        `${component} schema version ${current} is newer than this switchyard knows (${newest})`,
        {
          component,
          current,
          newest,
        },
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      write.run(component, migration.version, Date.now());
    }
  }).immediate();
}

export interface SqliteTransactions {
  /** Runs `fn` in a `BEGIN IMMEDIATE` transaction: the write lock is taken first, so writers queue instead of failing. */
  write<T>(fn: () => T): T;
  /** Runs `fn` in a deferred transaction: one consistent snapshot for several reads. */
  read<T>(fn: () => T): T;
}

/** Transaction helpers built once per connection (better-sqlite3 wrappers are costly to create per call). */
export function sqliteTransactions(db: SqliteDatabase): SqliteTransactions {
  const wrapper = db.transaction((fn: () => unknown) => fn());
  return {
    write: <T>(fn: () => T): T => wrapper.immediate(fn) as T,
    read: <T>(fn: () => T): T => wrapper(fn) as T,
  };
}
