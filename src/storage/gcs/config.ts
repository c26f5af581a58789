import { z } from 'zod';

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

export type GcsProjectConfig = z.infer<typeof gcsProjectSchema>;
