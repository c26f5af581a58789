import type { BackendContext, StorageBackend } from './backend.js';
import { fsBackend } from './fs/backend.js';
import { gcsBackend } from './gcs/backend.js';
import { memoryBackend } from './memory/backend.js';
import type { ProjectConfig } from './project-schema.js';
import { s3Backend } from './s3/backend.js';
import type { ObjectStore } from './types.js';

export type { ProjectConfig } from './project-schema.js';

/**
 * Every storage backend switchyard knows: a new one is its folder, one line
 * here and its schema's line in `project-schema.ts`.
 */
export const STORAGE_BACKENDS = [fsBackend, memoryBackend, gcsBackend, s3Backend] as const;

/**
 * The descriptor of `config`'s backend, typed for a config its own schema
 * parsed: `config.backend` names exactly one descriptor.
 */
function backendOf(config: ProjectConfig): StorageBackend<ProjectConfig> {
  const backend = STORAGE_BACKENDS.find((b) => b.name === config.backend);
  if (!backend) throw new Error(`[switchyard] no storage backend named ${config.backend}`);
  return backend as StorageBackend<never> as StorageBackend<ProjectConfig>;
}

/** Opens `project`'s store by its backend. */
export function openStore(
  project: string,
  config: ProjectConfig,
  context: BackendContext,
): Promise<ObjectStore> {
  return backendOf(config).open(project, config, context);
}

/**
 * The folder holding `config`'s `BUCKET/` folders when its backend keeps
 * objects in local folders; undefined for buckets in a cloud or in memory.
 */
export function localRootOf(config: ProjectConfig, dataRoot: string): string | undefined {
  return backendOf(config).localRoot?.(config, dataRoot);
}

/** `config` with its relative paths made absolute against `base` (the config file's folder). */
export function resolveProjectPaths(config: ProjectConfig, base: string, dataRoot: string): ProjectConfig {
  return backendOf(config).resolvePaths?.(config, base, dataRoot) ?? config;
}
