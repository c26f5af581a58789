import { DEFAULT_PARQUET, type ParquetSettings } from '../storage/csv-parquet.js';
import type { ParquetConfigFile } from './parquet.js';

/** The file's `transforms.parquet` with its defaults filled in. */
export function parquetSettings(file: ParquetConfigFile): ParquetSettings {
  return {
    options: {
      compression: file.compression ?? DEFAULT_PARQUET.compression,
      rowGroupRows: file.rowGroupRows ?? DEFAULT_PARQUET.rowGroupRows,
      rowGroupBytes:
        file.rowGroupMiB === undefined
          ? DEFAULT_PARQUET.rowGroupBytes
          : Math.round(file.rowGroupMiB * 2 ** 20),
    },
    schemas: file.schemas ?? {},
  };
}
