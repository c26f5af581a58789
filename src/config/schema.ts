import { z } from 'zod';
import { projectSchema } from '../storage/project-schema.js';
import { DURATION_EXAMPLES, parseDuration } from './duration.js';
import { parquetSchema } from './parquet.js';

/**
 * Quiet periods of the folder watcher (`watch.settle`), in ms: `default` for
 * every watched bucket, `buckets` by `PROJECT/BUCKET` (0: none for that bucket).
 */
export interface QuietPeriods {
  default?: number;
  buckets: Record<string, number>;
}

/** `PROJECT/BUCKET`: a key of `watch.settle` naming one source bucket. */
export const BUCKET_KEY = /^[^/\s]+\/[^/\s]+$/;

/**
 * A duration with its unit (`5s`, `1500ms`, `2m`), or `0`: a bare number
 * other than 0 is refused, since `5` would silently mean 5 ms.
 */
function quietPeriodOf(value: unknown): number | undefined {
  if (value === 0 || value === '0') return 0;
  if (typeof value !== 'string' || /^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return parseDuration(value);
}

/** `settle: 5s`, or `settle: { default: 2s, PROJECT/BUCKET: 10s, … }`. */
export const settleSchema = z.unknown().transform((value, ctx): QuietPeriods => {
  const bad = (got: unknown, path: string[] = []): void =>
    ctx.addIssue({
      code: 'custom',
      path,
      message: `expected ${DURATION_EXAMPLES} (its unit written out; 0 for none), got ${JSON.stringify(got)}`,
    });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const ms = quietPeriodOf(value);
    if (ms === undefined) bad(value);
    return ms === undefined ? { buckets: {} } : { default: ms, buckets: {} };
  }
  const out: QuietPeriods = { buckets: {} };
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (key !== 'default' && !BUCKET_KEY.test(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `expected \`default\` or a source bucket as PROJECT/BUCKET, got ${JSON.stringify(key)}`,
      });
      continue;
    }
    const ms = quietPeriodOf(entry);
    if (ms === undefined) bad(entry, [key]);
    else if (key === 'default') out.default = ms;
    else out.buckets[key] = ms;
  }
  return out;
});

export const watchSchema = z
  .object({
    /** Least time a file's size and mtime must stay unchanged before it is routed (see `settleSchema`). */
    settle: settleSchema.optional(),
  })
  .strict();

/** `switchyard.yaml`. Paths are relative to the working directory. */
export const configFileSchema = z
  .object({
    /**
     * Path of the referential, `gs://BUCKET/KEY` / `s3://BUCKET/KEY` (then
     * `routesProject` is required) or `bq://PROJECT.DATASET.TABLE`.
     */
    routes: z.string().min(1).optional(),
    /**
     * Project whose bucket holds a `gs://` / `s3://` referential (its backend
     * must match the scheme); for `bq://`, optionally a gcs project whose
     * `keyFile` reads the table (else Application Default Credentials).
     */
    routesProject: z.string().min(1).optional(),
    /** How often (ms) the referential is checked for changes and re-read; 0 disables. Default 30000. */
    routesPollMs: z.number().int().min(0).optional(),
    data: z.string().min(1).optional(),
    state: z.string().min(1).optional(),
    queue: z.string().min(1).optional(),
    ledger: z.string().min(1).optional(),
    projects: z.record(z.string().min(1), projectSchema).default({}),
    server: z
      .object({
        port: z.number().int().min(0).max(65535).optional(),
        host: z.string().min(1).optional(),
        /** Env var holding the bearer token (default SWITCHYARD_TOKEN). */
        tokenEnv: z.string().min(1).optional(),
        bodyLimitBytes: z.number().int().positive().optional(),
        oidc: z
          .object({
            audience: z.string().min(1),
            issuer: z.string().min(1).default('https://accounts.google.com'),
            serviceAccountEmail: z.string().min(1).optional(),
            /**
             * Where Google's public keys are fetched (and cached, fetched again
             * for a key not seen yet). Default: Google's OAuth2 certs endpoint.
             */
            jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
            /** Path to a JWKS JSON file instead (air-gapped hosts: verified offline). */
            jwksFile: z.string().min(1).optional(),
          })
          .strict()
          .refine((oidc) => !(oidc.jwksUrl && oidc.jwksFile), {
            message: 'give jwksUrl or jwksFile, not both',
            path: ['jwksFile'],
          })
          .optional(),
      })
      .strict()
      .optional(),
    concurrency: z.number().int().positive().optional(),
    /** The folder watcher of `serve`. */
    watch: watchSchema.optional(),
    /** How `csv-to-jsonl` rows read CSV: RFC 4180 with a header row; one character each (default `,` and `"`). */
    csv: z
      .object({
        delimiter: z.string().length(1, 'expected one character').optional(),
        quote: z.string().length(1, 'expected one character').optional(),
      })
      .strict()
      .refine((csv) => (csv.delimiter ?? ',') !== (csv.quote ?? '"'), {
        message: 'expected a quote other than the delimiter',
        path: ['quote'],
      })
      .optional(),
    /** How transforms write: `parquet` for `csv-to-parquet` rows (compression, row groups, column types by route_id). */
    transforms: z.object({ parquet: parquetSchema.optional() }).strict().optional(),
  })
  .strict()
  .superRefine((file, ctx) => {
    const declared = Object.keys(file.projects);
    for (const key of Object.keys(file.watch?.settle?.buckets ?? {})) {
      const project = key.split('/')[0]!;
      if (declared.length > 0 && !declared.includes(project)) {
        ctx.addIssue({
          code: 'custom',
          path: ['watch', 'settle', key],
          message: `expected a bucket of a project of \`projects\` (${declared.join(', ')}), got project ${JSON.stringify(project)}`,
        });
      }
    }
    const scheme = /^(gs|s3|bq):\/\//i.exec(file.routes ?? '')?.[1]?.toLowerCase();
    const backend = scheme === 'gs' || scheme === 'bq' ? 'gcs' : scheme;
    if (backend && scheme !== 'bq' && file.routesProject === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['routesProject'],
        message: `routes ${file.routes} is in a bucket: expected \`routesProject\` naming the ${backend} project that holds it`,
      });
    }
    if (file.routesProject === undefined) return;
    const project = file.projects[file.routesProject];
    if (!project) {
      ctx.addIssue({
        code: 'custom',
        path: ['routesProject'],
        message: `expected the name of a project of \`projects\`, got ${JSON.stringify(file.routesProject)}`,
      });
    } else if (backend && project.backend !== backend) {
      ctx.addIssue({
        code: 'custom',
        path: ['routesProject'],
        message:
          scheme === 'bq'
            ? `routes ${file.routes} is a BigQuery table: \`routesProject\` must name a gcs project (its keyFile reads the table), but project \`${file.routesProject}\` has backend \`${project.backend}\``
            : `routes ${file.routes} needs a ${backend} project, but project \`${file.routesProject}\` has backend \`${project.backend}\``,
      });
    }
  });

export type ConfigFile = z.infer<typeof configFileSchema>;
