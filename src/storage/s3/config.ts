import { z } from 'zod';

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
    /**
     * Where the server does not enforce a create-only copy (`conditionalWrite`
     * false), how long one listing of a destination folder answers that a key
     * is free, instead of a look (HEAD) at each key before its copy (default
     * 2000 ms; 0: a look per key). See listed-keys.ts.
     */
    destinationListingMs: z.number().int().nonnegative().optional(),
  })
  .strict();

export type S3ProjectConfig = z.infer<typeof s3ProjectSchema>;
