import { z } from 'zod';
import { DURATION_EXAMPLES, parseDuration } from './duration.js';

/** Secrets are referenced, never inlined: an env var name or a key file path. */
const secretRef = z
  .string()
  .min(1)
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'expected the NAME of an env var holding the secret, not the secret itself',
  )
  .refine(
    (name) => !/^(AKIA|ASIA)[A-Z0-9]{16}$/.test(name),
    'looks like an AWS access key id, not an env var name: give the secret by reference',
  );

export const fsProjectSchema = z
  .object({
    backend: z.literal('fs'),
    /** Objects live at `<root>/<project>/<bucket>/<key>`; default: the data root (`data`, `--data`). */
    root: z.string().min(1).optional(),
  })
  .strict();

export const memoryProjectSchema = z.object({ backend: z.literal('memory') }).strict();

export const gcsProjectSchema = z
  .object({
    backend: z.literal('gcs'),
    projectId: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    /** e.g. a local double or emulator: http://127.0.0.1:4443 */
    apiEndpoint: z.string().url().optional(),
    storageClass: z.string().min(1).optional(),
    kmsKeyName: z.string().min(1).optional(),
    /** Writes at least this large (or of unknown size) use a resumable upload (default 8 MiB). */
    resumableThresholdBytes: z.number().int().positive().optional(),
    /** Caps each rewrite call (GCS `maxBytesRewrittenPerCall`, a multiple of 1 MiB); default: the server's choice. */
    rewriteMaxBytesPerCall: z.number().int().positive().optional(),
    /** The bucket keeps noncurrent generations (object versioning). Default false. */
    versioning: z.boolean().optional(),
  })
  .strict();

/** What an S3-compatible server supports; defaults: all true on AWS (no `endpoint`), false elsewhere. */
export const s3CapabilitiesSchema = z
  .object({
    /** PutObject/CompleteMultipartUpload/CopyObject/DeleteObject honour If-Match / If-None-Match. */
    conditionalWrite: z.boolean(),
    /** Buckets are versioned: generations are version ids, deletes remove one version. */
    versioning: z.boolean(),
    /** Flexible checksums (CRC32C) are accepted and returned. */
    checksumHeaders: z.boolean(),
    /** UploadPartCopy is available. */
    partCopy: z.boolean(),
  })
  .partial()
  .strict();

export const s3ProjectSchema = z
  .object({
    backend: z.literal('s3'),
    region: z.string().min(1).default('us-east-1'),
    endpoint: z.string().url().optional(),
    forcePathStyle: z.boolean().optional(),
    profile: z.string().min(1).optional(),
    /** Names of env vars holding static credentials (never the values). */
    accessKeyIdEnv: secretRef.optional(),
    secretAccessKeyEnv: secretRef.optional(),
    sessionTokenEnv: secretRef.optional(),
    storageClass: z.string().min(1).optional(),
    serverSideEncryption: z.enum(['AES256', 'aws:kms', 'aws:kms:dsse']).optional(),
    sseKmsKeyId: z.string().min(1).optional(),
    /** Objects at least this large are copied with UploadPartCopy (default 5 GiB). */
    partCopyThresholdBytes: z.number().int().positive().optional(),
    /** Part size for multipart uploads and part copies (default 8 MiB; S3 needs at least 5 MiB). */
    partSizeBytes: z.number().int().positive().optional(),
    /** Parts uploaded at once (default 2); an upload holds about 1.5 × (queue + 1) × part size in memory. */
    uploadQueueSize: z.number().int().positive().optional(),
    capabilities: s3CapabilitiesSchema.optional(),
  })
  .strict();

export const projectSchema = z.discriminatedUnion('backend', [
  fsProjectSchema,
  memoryProjectSchema,
  gcsProjectSchema,
  s3ProjectSchema,
]);

export type ProjectConfig = z.infer<typeof projectSchema>;
export type FsProjectConfig = z.infer<typeof fsProjectSchema>;
export type GcsProjectConfig = z.infer<typeof gcsProjectSchema>;
export type S3ProjectConfig = z.infer<typeof s3ProjectSchema>;

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
    /** Path of the referential, or `gs://BUCKET/KEY` / `s3://BUCKET/KEY` (then `routesProject` is required). */
    routes: z.string().min(1).optional(),
    /** Project whose bucket holds a `gs://` / `s3://` referential; its backend must match the scheme. */
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
            /** Path to a JWKS JSON file (offline verification). */
            jwksFile: z.string().min(1),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    concurrency: z.number().int().positive().optional(),
    /** The folder watcher of `serve`. */
    watch: watchSchema.optional(),
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
    const scheme = /^(gs|s3):\/\//i.exec(file.routes ?? '')?.[1]?.toLowerCase();
    const backend = scheme === 'gs' ? 'gcs' : scheme;
    if (backend && file.routesProject === undefined) {
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
        message: `routes ${file.routes} needs a ${backend} project, but project \`${file.routesProject}\` has backend \`${project.backend}\``,
      });
    }
  });

export type ConfigFile = z.infer<typeof configFileSchema>;
