import { Transform, type TransformCallback } from 'node:stream';
import type * as HyparquetWriter from 'hyparquet-writer';
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

/** A record from csv-parse (transform.ts `linedCsvParser`): the fields and the line the record ends on. */
interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

type Cell = string | bigint | number | boolean | null;

/** An error the transform names as its own (code `PARQUET_*`, and the CSV line). */
function refusal(code: string, message: string, line: number): Error {
  return Object.assign(new Error(message), { code, lines: line });
}

/**
 * A CSV header naming one column twice (`CSV_DUPLICATE_COLUMN`, at the
 * header's line): one of the two values would silently be lost, so the
 * file is refused. Both CSV stages ask it (transform.ts `JsonLines` too).
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

/** The hyparquet-writer module, imported on the first Parquet transform only. */
type Writer = typeof HyparquetWriter;
let writerModule: Promise<Writer> | undefined;
function loadWriter(): Promise<Writer> {
  return (writerModule ??= import('hyparquet-writer'));
}

/**
 * CSV records (`linedCsvParser`: arrays, each with its line) in, Parquet bytes
 * out. The first record is the header; rows are gathered column by column
 * into a row group of at most `rowGroupRows` rows or `rowGroupBytes`
 * characters, which is then encoded, compressed and pushed out, so memory
 * holds one row group (and its encoded bytes), never the file. The output
 * is a pure function of the input and the options (no time, no random), so
 * the same CSV gives the same bytes and CRC32C each time.
 */
export class CsvToParquet extends Transform {
  /** Row groups written so far (how the bounded buffering is observed). */
  rowGroups = 0;
  /** The most rows held at once. */
  maxBufferedRows = 0;

  private writerLib: Writer | undefined;
  private header: string[] | undefined;
  private types: ParquetColumnType[] = [];
  private columns: Cell[][] = [];
  private bufferedRows = 0;
  private bufferedChars = 0;
  private parquet: InstanceType<Writer['ParquetWriter']> | undefined;
  private bytes: InstanceType<Writer['ByteWriter']> | undefined;

  constructor(private readonly options: ParquetOptions = DEFAULT_PARQUET) {
    super({ writableObjectMode: true });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    loadWriter().then(
      (lib) => {
        this.writerLib = lib;
        callback();
      },
      (error: unknown) => callback(error as Error),
    );
  }

  override _transform(chunk: ParsedRecord, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const { record, info } = chunk;
      if (!this.header) {
        this.start(record, info.lines);
      } else {
        this.add(record, info.lines);
        if (
          this.bufferedRows >= this.options.rowGroupRows ||
          this.bufferedChars >= this.options.rowGroupBytes
        ) {
          this.writeGroup();
        }
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (!this.header) throw refusal('PARQUET_NO_HEADER', 'expected a header row, got no record', 1);
      if (this.bufferedRows > 0) this.writeGroup();
      void this.parquet!.finish();
      this.pushBytes();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private start(names: string[], line: number): void {
    const duplicate = duplicateColumn(names, line);
    if (duplicate) throw duplicate;
    const seen = new Set(names);
    const schema = this.options.schema ?? {};
    const missing = Object.keys(schema).filter((name) => !seen.has(name));
    if (missing.length > 0) {
      throw refusal(
        'PARQUET_SCHEMA_COLUMN_MISSING',
        `the schema types column(s) ${missing.map((m) => JSON.stringify(m)).join(', ')}, absent from the header (${names
          .map((n) => JSON.stringify(n))
          .join(', ')})`,
        line,
      );
    }
    this.header = names;
    this.types = names.map((name) => schema[name] ?? 'string');
    this.columns = names.map(() => []);
    const lib = this.writerLib!;
    this.bytes = new lib.ByteWriter(64 * 1024);
    const parquetSchema = lib.schemaFromColumnData({
      columnData: names.map((name, i) => ({ name, data: [], type: BASIC[this.types[i]!], nullable: true })),
    });
    this.parquet = new lib.ParquetWriter({
      writer: this.bytes,
      schema: parquetSchema,
      codec: this.options.compression === 'zstd' ? 'ZSTD' : 'SNAPPY',
      ...(this.options.compression === 'zstd' ? { compressors: { ZSTD: zstdCompress } } : {}),
      createdBy: 'switchyard',
    });
  }

  private add(record: string[], line: number): void {
    for (let i = 0; i < record.length; i++) {
      const text = record[i]!;
      this.bufferedChars += text.length;
      this.columns[i]!.push(convert(text, this.types[i]!, this.header![i]!, line));
    }
    this.bufferedRows++;
    if (this.bufferedRows > this.maxBufferedRows) this.maxBufferedRows = this.bufferedRows;
  }

  private writeGroup(): void {
    const columnData = this.header!.map((name, i) => ({ name, data: this.columns[i]! }));
    void this.parquet!.write({ columnData, rowGroupSize: this.bufferedRows });
    this.rowGroups++;
    this.columns = this.header!.map(() => []);
    this.bufferedRows = 0;
    this.bufferedChars = 0;
    this.pushBytes();
  }

  /** What the writer holds so far, pushed out (copied: its buffer is reused). */
  private pushBytes(): void {
    const bytes = this.bytes!;
    if (bytes.index === 0) return;
    this.push(Buffer.from(new Uint8Array(bytes.buffer, 0, bytes.index)));
    bytes.index = 0;
  }
}

const BASIC = {
  string: 'STRING',
  int64: 'INT64',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
} as const;

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

function zstdCompress(input: Uint8Array): Uint8Array {
  const compress = (zlib() as unknown as { zstdCompressSync: (b: Uint8Array) => Buffer }).zstdCompressSync;
  return compress(input);
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
