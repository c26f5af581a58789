import { z } from 'zod';
import type { StorageBackend } from './backend.js';
import { fsBackend } from './fs/backend.js';
import { gcsBackend } from './gcs/backend.js';
import { memoryBackend } from './memory/backend.js';
import { s3Backend } from './s3/backend.js';

/** Every storage backend switchyard knows: a new one is its folder and one line here. */
export const STORAGE_BACKENDS = [fsBackend, memoryBackend, gcsBackend, s3Backend] as const;

type SchemasOf<T extends readonly StorageBackend[]> = {
  -readonly [K in keyof T]: T[K] extends StorageBackend<infer S> ? S : never;
};

function schemasOf<T extends readonly StorageBackend[]>(backends: T): SchemasOf<T> {
  return backends.map((b) => b.schema) as SchemasOf<T>;
}

/** A project of `projects` in switchyard.yaml: one of the backends' schemas, chosen by `backend`. */
export const projectSchema = z.discriminatedUnion('backend', schemasOf(STORAGE_BACKENDS));

export type ProjectConfig = z.infer<typeof projectSchema>;

/**
 * The descriptor of `config`'s backend, typed for a config that its own
 * schema parsed: `config.backend` names exactly one descriptor.
 */
function backendOf(config: ProjectConfig): StorageBackend<z.ZodObject> {
  const backend = STORAGE_BACKENDS.find((b) => b.name === config.backend);
  if (!backend) throw new Error(`[switchyard] no storage backend named ${config.backend}`);
  return backend as StorageBackend<z.ZodObject>;
}

/** Opens `project`'s store by its backend. */
export function openStore(
  project: string,
  config: ProjectConfig,
  context: { dataRoot: string; env: Record<string, string | undefined> },
): ReturnType<StorageBackend['open']> {
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
  const backend = backendOf(config);
  return backend.resolvePaths ? (backend.resolvePaths(config, base, dataRoot) as ProjectConfig) : config;
}
