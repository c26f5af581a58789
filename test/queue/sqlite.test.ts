import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteQueue } from '../../src/queue/sqlite.js';
import { testQueue } from '../conformance/queue.js';

testQueue('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-queue-'));
  const queue = await openSqliteQueue(join(dir, 'nested', 'queue.db'), { name: 'events' });
  return {
    queue,
    async cleanup() {
      await queue.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
