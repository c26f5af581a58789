// The storage backends' two lists: descriptors (storage/backends.ts) and
// config schemas (storage/project-schema.ts) name the same backends, and the
// registry opens each by its descriptor, never by a switch on names.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localRootOf, resolveProjectPaths, STORAGE_BACKENDS } from '../../src/storage/backends.js';
import { PROJECT_SCHEMAS, projectSchema } from '../../src/storage/project-schema.js';
import { StoreRegistry } from '../../src/storage/registry.js';

describe('storage backends', () => {
  it('each descriptor has a config schema and each schema a descriptor, in the same order', () => {
    expect(STORAGE_BACKENDS.map((b) => b.name)).toEqual(PROJECT_SCHEMAS.map((s) => s.shape.backend.value));
  });

  it('a project config is one of the schemas, chosen by `backend`, and an unknown backend is refused by name', () => {
    expect(projectSchema.parse({ backend: 'fs', root: 'x' })).toEqual({ backend: 'fs', root: 'x' });
    const unknown = projectSchema.safeParse({ backend: 'ftp' });
    expect(unknown.success).toBe(false);
    expect(JSON.stringify(unknown.error?.issues)).toContain('backend');
  });

  it('only local-folder backends have a local root; relative roots resolve against the config folder', () => {
    expect(localRootOf({ backend: 'fs' }, '/data')).toBe('/data');
    expect(localRootOf({ backend: 'fs', root: '/elsewhere' }, '/data')).toBe('/elsewhere');
    expect(localRootOf({ backend: 'memory' }, '/data')).toBeUndefined();
    expect(localRootOf({ backend: 's3', region: 'eu-west-1' }, '/data')).toBeUndefined();
    expect(resolveProjectPaths({ backend: 'fs', root: 'rel' }, '/etc/sw', '/data')).toEqual({
      backend: 'fs',
      root: '/etc/sw/rel',
    });
    expect(resolveProjectPaths({ backend: 'fs' }, '/etc/sw', '/data')).toEqual({
      backend: 'fs',
      root: '/data',
    });
    expect(resolveProjectPaths({ backend: 'memory' }, '/etc/sw', '/data')).toEqual({ backend: 'memory' });
  });

  it('the registry opens each declared project by its backend', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-backends-'));
    try {
      const stores = new StoreRegistry({
        dataRoot: dir,
        projects: {
          local: { backend: 'fs', root: dir },
          mem: { backend: 'memory' },
          bucket: { backend: 's3', region: 'eu-west-1', endpoint: 'http://127.0.0.1:1' },
        },
      });
      expect((await stores.storeFor('local')).backend).toBe('fs');
      expect((await stores.storeFor('mem')).backend).toBe('memory');
      expect((await stores.storeFor('bucket')).backend).toBe('s3');
      expect(stores.localRootFor('local')).toBe(dir);
      expect(stores.localRootFor('mem')).toBeUndefined();
      await stores.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
