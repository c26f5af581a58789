import path from 'node:path';
import type { ProjectConfig } from '../config/schema.js';
import type { ObjectStore } from './types.js';

export interface StoreRegistryOptions {
  /** Data root for projects the config does not list: `<dataRoot>/<project>/<bucket>/<key>`. */
  dataRoot: string;
  projects?: Record<string, ProjectConfig>;
  /** Environment the credential references (env var names) resolve against. */
  env?: Record<string, string | undefined>;
}

/**
 * Maps a project to its ObjectStore, created on first use. Cloud SDKs are
 * imported lazily, only when a project uses that backend, so the local
 * default starts fast and small.
 */
export class StoreRegistry {
  private readonly stores = new Map<string, Promise<ObjectStore>>();

  constructor(private readonly options: StoreRegistryOptions) {}

  storeFor(project: string): Promise<ObjectStore> {
    let store = this.stores.get(project);
    if (!store) {
      store = this.create(project);
      this.stores.set(project, store);
      store.catch(() => this.stores.delete(project));
    }
    return store;
  }

  /** Uses `store` for `project` instead of the configured backend (embedding, tests). */
  register(project: string, store: ObjectStore): void {
    this.stores.set(project, Promise.resolve(store));
  }

  configFor(project: string): ProjectConfig {
    return this.options.projects?.[project] ?? { backend: 'fs', root: this.options.dataRoot };
  }

  private async create(project: string): Promise<ObjectStore> {
    const config = this.configFor(project);
    switch (config.backend) {
      case 'fs': {
        const { FsStore } = await import('./fs.js');
        return new FsStore({ root: path.resolve(config.root, project), name: `fs:${project}` });
      }
      case 'memory': {
        const { MemoryStore, sharedMemoryBackend } = await import('./memory.js');
        return new MemoryStore({ backend: sharedMemoryBackend(), name: `memory:${project}` });
      }
      case 'gcs': {
        const { createGcsStore } = await import('./gcs.js');
        return createGcsStore(project, config, this.options.env ?? {});
      }
      case 's3': {
        const { createS3Store } = await import('./s3.js');
        return createS3Store(project, config, this.options.env ?? {});
      }
    }
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled(this.stores.values());
    this.stores.clear();
    await Promise.all(all.map((s) => (s.status === 'fulfilled' ? s.value.close?.() : undefined)));
  }
}
