import { z } from 'zod';
import { fsProjectSchema } from './fs/config.js';
import { gcsProjectSchema } from './gcs/config.js';
import { memoryProjectSchema } from './memory/config.js';
import { s3ProjectSchema } from './s3/config.js';

/**
 * The config schema of each storage backend (`<backend>/config.ts`), one line
 * per backend beside its descriptor's line in `backends.ts`. Only config
 * parsing imports this module: a run without a config file never loads zod.
 */
export const PROJECT_SCHEMAS = [
  fsProjectSchema,
  memoryProjectSchema,
  gcsProjectSchema,
  s3ProjectSchema,
] as const;

/** A project of `projects` in switchyard.yaml: one of the backends' schemas, chosen by `backend`. */
export const projectSchema = z.discriminatedUnion('backend', [...PROJECT_SCHEMAS]);

export type ProjectConfig = z.infer<typeof projectSchema>;

/** The schema of a project of backend `name`; undefined for a backend switchyard does not know. */
export function projectSchemaOf(name: unknown): (typeof PROJECT_SCHEMAS)[number] | undefined {
  return PROJECT_SCHEMAS.find((s) => s.shape.backend.value === name);
}
