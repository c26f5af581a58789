import { openPostgresLedger } from '../../src/ledger/postgres/ledger.js';
import { testLedger } from '../conformance/ledger.js';
import { connectTestPostgres } from '../helpers/postgres.js';

const pg = await connectTestPostgres();

if (pg) {
  testLedger('postgres', async () => {
    const url = pg.newUrl();
    const store = await openPostgresLedger(url, { poolSize: 4 });
    return {
      store,
      openPeer: () => openPostgresLedger(url, { poolSize: 4 }),
      async cleanup() {
        await store.close();
        await pg.cleanup();
      },
    };
  });
}
