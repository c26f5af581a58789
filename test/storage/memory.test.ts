import { MemoryBackend, MemoryStore } from '../../src/storage/memory/store.js';
import { testObjectStore } from '../conformance/store.js';

testObjectStore(
  'memory',
  async () => {
    const backend = new MemoryBackend();
    return {
      store: new MemoryStore({ backend, name: 'memory:main' }),
      peer: new MemoryStore({ backend, name: 'memory:peer' }),
      bucket: 'bucket',
      cleanup: async () => backend.clear(),
    };
  },
  {
    skip: {
      'a large object streams in and out with bounded memory':
        'the memory store holds every object in memory by design',
    },
  },
);
