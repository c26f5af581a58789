import { zlib } from '../util/builtins.js';

/** The types a per-route schema may give a column (any other column is a string). */
export const PARQUET_COLUMN_TYPES = ['string', 'int64', 'double', 'boolean', 'timestamp'] as const;
export type ParquetColumnType = (typeof PARQUET_COLUMN_TYPES)[number];

export const PARQUET_COMPRESSIONS = ['snappy', 'zstd'] as const;
export type ParquetCompression = (typeof PARQUET_COMPRESSIONS)[number];

/** How `csv-to-parquet` writes (switchyard.yaml `transforms.parquet`, and the row's schema). */
export interface ParquetOptions {
  /** Page compression (default `snappy`; `zstd` needs a Node whose node:zlib has it, 22.15 and later). */
  compression: ParquetCompression;
  /** A row group is written once it holds this many rows (default 65,536)… */
  rowGroupRows: number;
  /** …or once its fields hold this many characters (default 64 MiB), whichever comes first. */
  rowGroupBytes: number;
  /** Column name → type; a column not named is a string. */
  schema?: Readonly<Record<string, ParquetColumnType>>;
}

export const DEFAULT_PARQUET: ParquetOptions = {
  compression: 'snappy',
  rowGroupRows: 65_536,
  rowGroupBytes: 64 * 2 ** 20,
};

/** Whether this Node's node:zlib can compress zstd (22.15 / 23.8 and later). */
export function zstdAvailable(): boolean {
  return typeof (zlib() as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
}

/** A field as its column's type reads it. */
export type Cell = string | bigint | number | boolean | null;

/** An error the transform names as its own (code `PARQUET_*`, and the CSV line). */
export function refusal(code: string, message: string, line: number): Error {
  return Object.assign(new Error(message), { code, lines: line });
}

/**
 * A CSV header naming one column twice (`CSV_DUPLICATE_COLUMN`, at the
 * header's line): one of the two values would silently be lost, so the
 * file is refused. Both CSV stages ask it (transform-stages.ts: `JsonLines` too).
 */
export function duplicateColumn(names: string[], line: number): Error | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name))
      return refusal(
        'CSV_DUPLICATE_COLUMN',
        `column ${JSON.stringify(name)} appears twice in the header`,
        line,
      );
    seen.add(name);
  }
  return undefined;
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** `2024-06-30`, `2024-06-30T23:30:00Z`, `2024-06-30 23:30:00.5+02:00`; without a zone, UTC. */
const TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A CSV field as its column's type: the text as is for a string column; an
 * empty field is null in a typed one; text the type cannot read is refused
 * with its line (`PARQUET_INVALID_VALUE`).
 */
export function convert(text: string, type: ParquetColumnType, column: string, line: number): Cell {
  if (type === 'string') return text;
  const value = text.trim();
  if (value === '') return null;
  const bad = (): Error =>
    refusal(
      'PARQUET_INVALID_VALUE',
      `column ${JSON.stringify(column)} expects ${type}, got ${JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text)}`,
      line,
    );
  switch (type) {
    case 'int64': {
      if (!INTEGER.test(value)) throw bad();
      const n = BigInt(value);
      if (n < INT64_MIN || n > INT64_MAX) throw bad();
      return n;
    }
    case 'double': {
      const lower = value.toLowerCase();
      if (lower === 'nan') return Number.NaN;
      if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Number.POSITIVE_INFINITY;
      if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
      if (!DECIMAL.test(value)) throw bad();
      return Number(value);
    }
    case 'boolean': {
      const lower = value.toLowerCase();
      if (lower === 'true' || lower === '1') return true;
      if (lower === 'false' || lower === '0') return false;
      throw bad();
    }
    case 'timestamp': {
      const m = TIMESTAMP.exec(value);
      if (!m) throw bad();
      const [, date, time, zone] = m;
      const ms = Date.parse(`${date}T${time ?? '00:00'}${normalZone(zone)}`);
      if (Number.isNaN(ms) || !realDate(date!)) throw bad();
      return BigInt(ms);
    }
  }
}

function normalZone(zone: string | undefined): string {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 'Z';
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}

/** `2024-02-30` parses in V8 as 1 March: the day must exist. */
function realDate(date: string): boolean {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** `transforms.parquet` resolved: the options every row shares and each row's column types by `route_id`. */
export interface ParquetSettings {
  options: Omit<ParquetOptions, 'schema'>;
  schemas: Readonly<Record<string, Readonly<Record<string, ParquetColumnType>>>>;
}

/** The options a row's `csv-to-parquet` writes with: the shared ones and its own schema, if any. */
export function parquetOptionsFor(settings: ParquetSettings | undefined, routeId: string): ParquetOptions {
  const options = settings?.options ?? DEFAULT_PARQUET;
  const schema = settings && Object.hasOwn(settings.schemas, routeId) ? settings.schemas[routeId] : undefined;
  return schema ? { ...options, schema } : { ...options };
}
