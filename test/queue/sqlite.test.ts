import { isUtf8 } from 'node:buffer';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteQueue } from '../../src/queue/sqlite/queue.js';
import { testQueue } from '../conformance/queue.js';

testQueue('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-queue-'));
  const path = join(dir, 'nested', 'queue.db');
  const queue = await openSqliteQueue(path, { name: 'events' });
  return {
    queue,
    // Another writer's rows: UTF-8 bodies as TEXT, other bytes as a BLOB.
    async publishRaw(bodies) {
      const db = new Database(path);
      try {
        const insert = db.prepare(
          "INSERT INTO messages (queue, event, attempts, enqueued_at, visible_at, state) VALUES ('events', ?, 0, ?, ?, 'ready')",
        );
        for (const body of bodies) {
          const value = isUtf8(body) ? body.toString('utf8') : body;
          insert.run(value, Date.now(), Date.now());
        }
      } finally {
        db.close();
      }
    },
    async cleanup() {
      await queue.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('the SQLite queue’s durability', () => {
  it('commits a publish and a revival of dead letters at FULL, a lease’s bookkeeping at NORMAL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-queue-'));
    const queue = await openSqliteQueue(join(dir, 'queue.db'));
    try {
      const db = (queue as unknown as { db: Database.Database }).db;
      const level = (): number => db.pragma('synchronous', { simple: true }) as number;
      expect(level()).toBe(1); // NORMAL between operations
      const set: string[] = [];
      const pragma = db.pragma.bind(db);
      db.pragma = ((source: string, options?: Database.PragmaOptions) => {
        if (source.startsWith('synchronous =')) set.push(source);
        return pragma(source, options);
      }) as typeof db.pragma;
      const event = { project: 'p', bucket: 'b', key: 'k.csv', origin: 'manual' as const };

      await queue.publish([event, { ...event, key: 'l.csv' }]);
      expect(set.splice(0)).toEqual(['synchronous = FULL', 'synchronous = NORMAL']);

      const [first, second] = await queue.pull(2, 60_000);
      await queue.extend([first!.id], 60_000);
      await queue.ack([first!.id]);
      await queue.deadLetter(second!.id, 'E_TEST');
      expect(set.splice(0)).toEqual([]);

      expect(await queue.retryDeadLetters()).toBe(1);
      expect(set.splice(0)).toEqual(['synchronous = FULL', 'synchronous = NORMAL']);
      expect(level()).toBe(1);
      expect(await queue.stats()).toMatchObject({ depth: 1, inFlight: 0, dead: 0 });
    } finally {
      await queue.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
