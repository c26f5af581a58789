import { isUtf8 } from 'node:buffer';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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
