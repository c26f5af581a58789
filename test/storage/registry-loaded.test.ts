// StoreRegistry.loaded: the store storeFor gave a project, at hand without
// waiting once it has opened (the router's screening reads bucket
// identities through it).
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/storage/memory/store.js';
import { StoreRegistry } from '../../src/storage/registry.js';
import { tempDir } from '../helpers/router-fixture.js';

describe('StoreRegistry.loaded', () => {
  it('is undefined until storeFor’s store has opened, then that store', async () => {
    const tmp = await tempDir();
    try {
      const stores = new StoreRegistry({ dataRoot: tmp.dir });
      expect(stores.loaded('land')).toBeUndefined();
      const opening = stores.storeFor('land');
      expect(stores.loaded('land')).toBeUndefined();
      const store = await opening;
      expect(stores.loaded('land')).toBe(store);
      await stores.close();
      expect(stores.loaded('land')).toBeUndefined();
    } finally {
      await tmp.remove();
    }
  });

  it('a project that cannot be had is never loaded; a registered store is at once', async () => {
    const stores = new StoreRegistry({ dataRoot: '/nowhere', projects: { declared: { backend: 'memory' } } });
    await expect(stores.storeFor('undeclared')).rejects.toThrow();
    expect(stores.loaded('undeclared')).toBeUndefined();
    const mine = new MemoryStore();
    stores.register('undeclared', mine);
    expect(stores.loaded('undeclared')).toBe(mine);
  });
});
