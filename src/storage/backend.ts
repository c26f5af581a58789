import type { ObjectStore } from './types.js';

/** What opening a project's store may use besides the project's own config. */
export interface BackendContext {
  /** Data root: where local-folder projects that give no `root` live. */
  dataRoot: string;
  /** Environment the config's credential references (env var names) resolve against. */
  env: Record<string, string | undefined>;
}

/**
 * One storage backend, as its folder describes it (`<backend>/backend.ts`):
 * how to open its store and, for backends that keep objects in local
 * folders, where. The schema of its `projects.NAME` config is its
 * `<backend>/config.ts`, listed in `project-schema.ts`: kept apart so that a
 * run without a config file never loads the schema library. How a backend
 * behaves differs from the others by the capabilities of its store, never by
 * its name.
 */
export interface StorageBackend<C extends { backend: string } = { backend: string }> {
  readonly name: C['backend'];
  /**
   * The folder holding this project's `BUCKET/` folders, for a backend that
   * keeps objects in local folders; absent for the others. Config checks,
   * the watcher and bucket identity (real paths) ask it.
   */
  localRoot?(config: C, dataRoot: string): string;
  /** The config with its relative paths made absolute against `base` (the config file's folder). */
  resolvePaths?(config: C, base: string, dataRoot: string): C;
  /** Opens the store; backends import their SDK here, so an unused backend costs nothing at start. */
  open(project: string, config: C, context: BackendContext): Promise<ObjectStore>;
}

/** Types a backend's descriptor against its own config. */
export function defineBackend<C extends { backend: string }>(backend: StorageBackend<C>): StorageBackend<C> {
  return backend;
}
