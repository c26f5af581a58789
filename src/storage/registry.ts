import { localRootOf, openStore, type ProjectConfig } from './backends.js';
import { ProjectUndeclaredError } from '../model/errors.js';
import type { ObjectStore } from './types.js';

/** What the registry reads; a RuntimeConfig (src/config/load.ts) is one. */
export interface StoreRegistryOptions {
  /**
   * Data root: `<dataRoot>/<project>/<bucket>/<key>` for `fs` projects that
   * give no `root`, and for undeclared projects where those are allowed.
   */
  dataRoot: string;
  projects?: Record<string, ProjectConfig>;
  /**
   * Refuse every project `projects` does not declare (ProjectUndeclaredError)
   * even when it declares none (the cloud entry points). Undeclared projects
   * are always refused once `projects` declares one.
   */
  declaredOnly?: boolean;
  /** Environment the credential references (env var names) resolve against. */
  env?: Record<string, string | undefined>;
}

/** Whether projects `projects` does not list are refused rather than taken for local folders. */
function onlyDeclaredProjects(options: Pick<StoreRegistryOptions, 'projects' | 'declaredOnly'>): boolean {
  return options.declaredOnly === true || Object.keys(options.projects ?? {}).length > 0;
}

/**
 * Maps a project to its ObjectStore, created on first use. Cloud SDKs are
 * imported lazily, only when a project uses that backend, so the local
 * default starts fast and small.
 */
export class StoreRegistry {
  private readonly stores = new Map<string, Promise<ObjectStore>>();
  /** The stores whose promise has resolved, for loaded(). */
  private readonly ready = new Map<string, ObjectStore>();

  constructor(private readonly options: StoreRegistryOptions) {}

  /** The projects switchyard.yaml declares (their backends name what `gs://` and `s3://` locations map to). */
  get projects(): Readonly<Record<string, ProjectConfig>> {
    return this.options.projects ?? {};
  }

  storeFor(project: string): Promise<ObjectStore> {
    let store = this.stores.get(project);
    if (!store) {
      const created = this.create(project);
      store = created;
      this.stores.set(project, created);
      created.then(
        (opened) => {
          if (this.stores.get(project) === created) this.ready.set(project, opened);
        },
        () => this.stores.delete(project),
      );
    }
    return store;
  }

  /** The store storeFor gave `project` once it has opened; undefined before (or when it cannot be had). */
  loaded(project: string): ObjectStore | undefined {
    return this.ready.get(project);
  }

  /** Uses `store` for `project` instead of the configured backend (embedding, tests). */
  register(project: string, store: ObjectStore): void {
    this.stores.set(project, Promise.resolve(store));
    this.ready.set(project, store);
  }

  /**
   * The backend of `project`: as declared, else a local folder under the data
   * root when undeclared projects are allowed; throws ProjectUndeclaredError
   * otherwise, so a misspelt project never becomes a folder (in a cloud
   * function, an ephemeral one).
   */
  configFor(project: string): ProjectConfig {
    const declared = this.options.projects ?? {};
    if (Object.hasOwn(declared, project)) return declared[project]!;
    if (onlyDeclaredProjects(this.options)) throw new ProjectUndeclaredError(project, Object.keys(declared));
    return { backend: 'fs', root: this.options.dataRoot };
  }

  /** The folder holding `project`'s `BUCKET/` folders when it is kept in local folders; else undefined. */
  localRootFor(project: string): string | undefined {
    return localRootOf(this.configFor(project), this.options.dataRoot);
  }

  /** Async, so that an undeclared project is a rejected promise, never a throw from storeFor. */
  private async create(project: string): Promise<ObjectStore> {
    return openStore(project, this.configFor(project), {
      dataRoot: this.options.dataRoot,
      env: this.options.env ?? {},
    });
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled(this.stores.values());
    this.stores.clear();
    this.ready.clear();
    await Promise.all(all.map((s) => (s.status === 'fulfilled' ? s.value.close?.() : undefined)));
  }
}
