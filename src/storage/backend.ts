import type { z } from 'zod';
import type { ObjectStore } from './types.js';

/** What opening a project's store may use besides the project's own config. */
export interface BackendContext {
  /** Data root: where local-folder projects that give no `root` live. */
  dataRoot: string;
  /** Environment the config's credential references (env var names) resolve against. */
  env: Record<string, string | undefined>;
}

/**
 * One storage backend, as its folder describes it: the schema of a project's
 * config (`projects.NAME` in switchyard.yaml, `backend: <name>`), how to open
 * its store, and, for backends that keep objects in local folders, where. A
 * new backend is a folder exporting one of these and one line in
 * `backends.ts`; how it behaves differs from the others by the capabilities
 * of its store, never by its name.
 */
export interface StorageBackend<S extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly schema: S;
  /**
   * The folder holding this project's `BUCKET/` folders, for a backend that
   * keeps objects in local folders; absent for the others. Config checks,
   * the watcher and bucket identity (real paths) ask it.
   */
  localRoot?(config: z.output<S>, dataRoot: string): string;
  /** The config with its relative paths made absolute against `base` (the config file's folder). */
  resolvePaths?(config: z.output<S>, base: string, dataRoot: string): z.output<S>;
  /** Opens the store; backends import their SDK here, so an unused backend costs nothing at start. */
  open(project: string, config: z.output<S>, context: BackendContext): Promise<ObjectStore>;
}

/** Types a backend's descriptor against its own schema. */
export function defineBackend<S extends z.ZodObject>(backend: StorageBackend<S>): StorageBackend<S> {
  return backend;
}
