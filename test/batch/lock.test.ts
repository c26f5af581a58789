import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { acquireDrainLock } from '../../src/drains/batch-lock-acquire.js';
import { acquireSqliteLock } from '../../src/drains/batch-lock-sqlite.js';
import type { DrainLock } from '../../src/drains/batch-lock.js';
import { drainExclusive, drainLockName } from '../../src/drains/batch-run.js';
import { connectTestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/router-fixture.js';
import { batchFixture, HEADER, sleep, type BatchFixture } from './helpers.js';

const ROUTES = `${HEADER}
land,in,\\.csv$,finance,raw,,move,fail,to-finance
`;

function lockRow(
  stateDir: string,
  name: string,
  row: { owner: string; host: string; pid: number; expiresAt: number },
): void {
  const db = new Database(path.join(stateDir, 'locks.db'));
  db.prepare(
    'INSERT OR REPLACE INTO locks (name, owner, host, pid, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(name, row.owner, row.host, row.pid, Date.now() - 60_000, row.expiresAt);
  db.close();
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('two drains never run at once', () => {
  let f: BatchFixture | undefined;
  const held: DrainLock[] = [];
  afterEach(async () => {
    for (const lock of held.splice(0)) await lock.release();
    await f?.close();
    f = undefined;
  });

  it('of two drains started together, one runs and the other says so and skips', async () => {
    f = await batchFixture(ROUTES);
    for (let i = 0; i < 50; i++) await f.ws.put(`land/in/f${i}.csv`, `${i}\n`);
    await f.queue.publish(Array.from({ length: 50 }, (_, i) => f!.event(`land/in/f${i}.csv`)));
    const other = { ...f.ctx, owner: 'second-drain' };
    const results = await Promise.all([drainExclusive(f.ctx, f.queue), drainExclusive(other, f.queue)]);
    const ran = results.filter((r) => r.skipped === false);
    const skipped = results.filter((r) => r.skipped === 'locked');
    expect(ran).toHaveLength(1);
    expect(skipped).toHaveLength(1);
    expect(ran[0]?.skipped === false && ran[0].report.routed).toBe(50);
    expect(skipped[0]?.skipped && skipped[0].message).toMatch(
      /^another drain is running \(owner \S+, since \d{4}-\d\d-\d\dT/,
    );
    // the lock is released: the next drain runs
    expect((await drainExclusive(other, f.queue)).skipped).toBe(false);
  });

  it('`switchyard batch` exits 0 and reports the holder while another drain holds the lock', async () => {
    f = await batchFixture(ROUTES);
    const attempt = acquireSqliteLock({
      stateDir: f.ctx.config.stateDir,
      name: drainLockName(f.queue),
      owner: 'host-a:1:abc',
    });
    expect(attempt.acquired).toBe(true);
    if (attempt.acquired) held.push(attempt.lock);
    const json = await f.ws.run('batch', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(json.json()).toMatchObject({ skipped: 'locked', holder: { owner: 'host-a:1:abc' } });
    const text = await f.ws.run('batch');
    expect(text.code).toBe(0);
    expect(text.stderr).toMatch(/another drain is running \(owner host-a:1:abc, since .*\); nothing done/);
  });

  it('takes over at once a lock whose owner died on this host, and an expired one from another host', async () => {
    const { dir, remove } = await tempDir();
    try {
      const first = acquireSqliteLock({ stateDir: dir, name: 'drain:x', owner: 'me:1:a' });
      expect(first.acquired).toBe(true);
      if (first.acquired) await first.lock.release();
      const { hostname } = await import('node:os');
      lockRow(dir, 'drain:x', {
        owner: 'crashed',
        host: hostname(),
        pid: deadPid(),
        expiresAt: Date.now() + 60_000,
      });
      const afterCrash = acquireSqliteLock({ stateDir: dir, name: 'drain:x', owner: 'me:1:b' });
      expect(afterCrash.acquired).toBe(true);
      if (afterCrash.acquired) await afterCrash.lock.release();

      lockRow(dir, 'drain:x', {
        owner: 'elsewhere',
        host: 'another-host',
        pid: 1,
        expiresAt: Date.now() + 60_000,
      });
      const live = acquireSqliteLock({ stateDir: dir, name: 'drain:x', owner: 'me:1:c' });
      expect(live).toMatchObject({ acquired: false, holder: { owner: 'elsewhere' } });

      lockRow(dir, 'drain:x', {
        owner: 'elsewhere',
        host: 'another-host',
        pid: 1,
        expiresAt: Date.now() - 1,
      });
      const expired = acquireSqliteLock({ stateDir: dir, name: 'drain:x', owner: 'me:1:d' });
      expect(expired.acquired).toBe(true);
      if (expired.acquired) await expired.lock.release();
    } finally {
      await remove();
    }
  });

  it('renews the lock, and notices when it was taken over', async () => {
    const { dir, remove } = await tempDir();
    try {
      const attempt = acquireSqliteLock({
        stateDir: dir,
        name: 'drain:y',
        owner: 'me:1:a',
        ttlMs: 1_000,
        heartbeatMs: 20,
      });
      if (!attempt.acquired) throw new Error('not acquired');
      const db = new Database(path.join(dir, 'locks.db'));
      const expiry = (): number =>
        db.prepare("SELECT expires_at FROM locks WHERE name = 'drain:y'").pluck().get() as number;
      const before = expiry();
      await sleep(80);
      expect(expiry()).toBeGreaterThan(before);
      let lost = false;
      attempt.lock.onLost(() => (lost = true));
      db.prepare("UPDATE locks SET owner = 'thief' WHERE name = 'drain:y'").run();
      for (let i = 0; i < 50 && !lost; i++) await sleep(20);
      expect(lost).toBe(true);
      expect(attempt.lock.lost).toBe(true);
      await attempt.lock.release();
      expect(db.prepare("SELECT owner FROM locks WHERE name = 'drain:y'").pluck().get()).toBe('thief');
      db.close();
    } finally {
      await remove();
    }
  });
});

const pg = await connectTestPostgres();
if (pg) {
  describe('the drain lock on a PostgreSQL ledger (advisory lock)', () => {
    afterAll(() => pg.cleanup());

    it('is held by one connection; the second learns the owner; released with the connection', async () => {
      const name = `drain:test-${process.pid}-${Date.now()}`;
      const first = await acquireDrainLock({
        stateDir: '/nonexistent',
        ledgerUrl: pg.url,
        name,
        owner: 'host-a:11:aa',
      });
      if (!first.acquired) throw new Error('first acquire failed');
      const second = await acquireDrainLock({
        stateDir: '/nonexistent',
        ledgerUrl: pg.url,
        name,
        owner: 'host-b:22:bb',
      });
      expect(second).toMatchObject({ acquired: false, holder: { owner: 'host-a:11:aa' } });
      await first.lock.release();
      const third = await acquireDrainLock({
        stateDir: '/nonexistent',
        ledgerUrl: pg.url,
        name,
        owner: 'host-b:22:bb',
      });
      expect(third.acquired).toBe(true);
      if (third.acquired) await third.lock.release();
    });
  });
}
