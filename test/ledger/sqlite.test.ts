import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteLedger } from '../../src/ledger/sqlite/ledger.js';
import { testLedger } from '../conformance/ledger.js';

testLedger('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-ledger-'));
  const path = join(dir, 'nested', 'ledger.db');
  const store = await openSqliteLedger(path);
  return {
    store,
    openPeer: () => openSqliteLedger(path),
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
