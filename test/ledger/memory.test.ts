import { createMemoryLedger } from '../../src/ledger/memory/ledger.js';
import { testLedger } from '../conformance/ledger.js';

testLedger('memory', async () => ({ store: createMemoryLedger(), async cleanup() {} }), {
  skip: {
    'two handles on one store racing: each delivery claimed exactly once':
      'a memory ledger lives in one process: there is no second handle',
  },
});
