import { z } from 'zod';
import { PARQUET_COLUMN_TYPES, PARQUET_COMPRESSIONS, zstdAvailable } from '../storage/csv-parquet.js';

/**
 * `transforms.parquet` of switchyard.yaml: how `csv-to-parquet` rows write.
 * `schemas` gives column types by `route_id` (a column not named is a
 * string); `zstd` is refused on a Node whose node:zlib cannot compress it.
 * Loaded with zod only when a configuration file is read (config/load.ts).
 */
export const parquetSchema = z
  .object({
    compression: z
      .enum(PARQUET_COMPRESSIONS)
      .refine((c) => c !== 'zstd' || zstdAvailable(), {
        message: `zstd needs node:zlib's zstd (Node 22.15 or later), got Node ${process.versions.node}: expected snappy here`,
      })
      .optional(),
    /** A row group is written once it holds this many rows (default 65536)… */
    rowGroupRows: z.number().int().positive().max(10_000_000).optional(),
    /** …or this many MiB of field text (default 64), whichever comes first. */
    rowGroupMiB: z.number().positive().max(4096).optional(),
    /** `route_id` → column → type. */
    schemas: z
      .record(z.string().min(1), z.record(z.string().min(1), z.enum(PARQUET_COLUMN_TYPES)))
      .optional(),
  })
  .strict();

export type ParquetConfigFile = z.infer<typeof parquetSchema>;
