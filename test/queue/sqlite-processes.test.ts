// SQLite only: several OS processes pulling from one queue file. The shared
// conformance suite runs its consumers inside one process; this proves the
// IMMEDIATE pulls hand each message to one process at a time, which only a
// file-backed queue can be asked to do here.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteQueue } from '../../src/queue/sqlite/queue.js';
import { compileForChildren, runChild } from '../ledger/child-process.js';

const CONSUMER = `
const { openSqliteQueue } = require('./src/queue/sqlite/queue.js');
const [path, startAt] = process.argv.slice(2);
(async () => {
  const queue = await openSqliteQueue(path, { name: 'events' });
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
  const keys = [];
  for (;;) {
    const batch = await queue.pull(7, 60000, 300);
    if (batch.length === 0) break;
    for (const m of batch) keys.push(m.event.key);
    await queue.ack(batch.map((m) => m.id));
  }
  await queue.close();
  process.stdout.write(JSON.stringify(keys));
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe('SQLite queue shared by several processes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-queue-procs-'));
    await compileForChildren(['src/queue/sqlite/queue.ts'], join(dir, 'build'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('3 processes draining 600 messages: each message delivered once', async () => {
    const path = join(dir, 'queue.db');
    const queue = await openSqliteQueue(path, { name: 'events' });
    try {
      await queue.publish(
        Array.from({ length: 600 }, (_, i) => ({ bucket: 'in', key: `f-${i}`, origin: 'manual' as const })),
      );
      const startAt = String(Date.now() + 2_000);
      const got = await Promise.all(
        [1, 2, 3].map(() => runChild<string[]>(join(dir, 'build'), CONSUMER, [path, startAt])),
      );
      const all = got.flat();
      expect(all).toHaveLength(600);
      expect(new Set(all).size).toBe(600);
      expect(await queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
    } finally {
      await queue.close();
    }
  });
});
