import { createRequire } from 'node:module';
import { Transform, type TransformCallback } from 'node:stream';
import type * as CsvParse from 'csv-parse';
import type * as HyparquetWriter from 'hyparquet-writer';
import { zlib } from '../util/builtins.js';
import {
  convert,
  DEFAULT_PARQUET,
  duplicateColumn,
  refusal,
  type Cell,
  type ParquetColumnType,
  type ParquetOptions,
} from './csv-parquet.js';
import { DEFAULT_CSV, type CsvOptions, type TransformName } from './transform.js';

// The streams a transform's bytes go through, apart from transform.ts (the
// names and what they do to a file's name): this module and node:stream, which
// it loads, are imported only once a transform runs (transform-across.ts), so
// a run that transforms nothing does not load node:stream (some 3 ms of a start).

/**
 * The streams the bytes go through, in order, each with backpressure and a
 * bounded buffer (memory does not grow with the object). Their output is a
 * pure function of their input, so the same source gives the same bytes
 * (and CRC32C) every time.
 */
export function transformStages(
  transform: TransformName,
  csv: CsvOptions = DEFAULT_CSV,
  parquet: ParquetOptions = DEFAULT_PARQUET,
): Transform[] {
  switch (transform) {
    case 'gzip':
      return [zlib().createGzip()];
    case 'gunzip':
      return [zlib().createGunzip()];
    case 'csv-to-jsonl':
      return [
        // records as arrays: csv-parse's `columns` objects cost about as much as the parse itself
        csvParse().parse({
          delimiter: csv.delimiter,
          quote: csv.quote,
          // RFC 4180: a quote inside a quoted field is written twice
          escape: csv.quote,
          bom: true,
          skip_empty_lines: true,
        }),
        new JsonLines(),
      ];
    case 'csv-to-parquet':
      return [
        linedCsvParser({
          delimiter: csv.delimiter,
          quote: csv.quote,
          escape: csv.quote,
          bom: true,
          skip_empty_lines: true,
        }),
        new CsvToParquet(parquet),
      ];
  }
}

/**
 * How JSON.stringify writes an object of these names, as the header's
 * positions in that order, each with the text before its value (`{"name":`,
 * then `,"name":`). JSON.stringify writes an object's own keys in their
 * order: integer-like names first, ascending, then the others as added; the
 * order is taken from an object built like that, so a line is the bytes
 * JSON.stringify makes of the record as an object of the header's names.
 */
function jsonLayout(names: string[]): { at: number[]; before: string[] } {
  const positions: Record<string, number> = Object.create(null) as Record<string, number>;
  names.forEach((name, index) => (positions[name] = index));
  const ordered = Object.keys(positions);
  return {
    at: ordered.map((name) => positions[name]!),
    before: ordered.map((name, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`),
  };
}

/** How much JSON Lines text JsonLines gathers before it hands it on. */
const JSON_LINES_CHUNK = 64 * 1024;

/**
 * The first record (the header) names the columns; each record after it (an
 * array of strings, as many as the header's: csv-parse refuses any other
 * count) is written as one line of JSON, an object of the header's names to
 * strings, handed on some 64 KiB at a time: a chunk per record made every
 * stage after it (UTF-8 encoding, CRC32C, the write) pay its per-chunk cost
 * per line.
 */
class JsonLines extends Transform {
  /** The pieces of the lines not yet handed on, and their length. */
  private pending: string[] = [];
  private length = 0;
  private layout: { at: number[]; before: string[] } | undefined;

  constructor() {
    super({ writableObjectMode: true });
  }

  override _transform(record: string[], _encoding: BufferEncoding, callback: TransformCallback) {
    const layout = this.layout;
    if (layout === undefined) {
      const refused = duplicateColumn(record, 1);
      if (refused) return callback(refused);
      this.layout = jsonLayout(record);
      return callback();
    }
    const { at, before } = layout;
    const pending = this.pending;
    let length = this.length + 2;
    if (at.length === 0) pending.push('{');
    for (let i = 0; i < at.length; i++) {
      const value = JSON.stringify(record[at[i]!]);
      pending.push(before[i]!, value);
      length += before[i]!.length + value.length;
    }
    pending.push('}\n');
    if (length < JSON_LINES_CHUNK) {
      this.length = length;
      return callback();
    }
    this.pending = [];
    this.length = 0;
    callback(null, pending.join(''));
  }

  override _flush(callback: TransformCallback) {
    const text = this.pending.join('');
    this.pending = [];
    this.length = 0;
    callback(null, text.length > 0 ? text : undefined);
  }
}

// not named `require`: a CommonJS build of this module (tests compile some for child processes) has one
const requireCjs = createRequire(import.meta.url);

/** csv-parse's streaming parser, loaded on the first CSV transform only. */
function csvParse(): typeof CsvParse {
  return requireCjs('csv-parse') as typeof CsvParse;
}

/**
 * csv-parse's stream handing on each record with the line it ends on
 * (`{ record, info: { lines } }`), for the refusals of a typed column. The
 * parser pushes a record the moment it ends, so its `info.lines` is then
 * that record's last line; `info: true` gives the same but copies every
 * counter into a new object per record, which took a quarter of a Parquet
 * transform's time.
 */
export function linedCsvParser(options: CsvParse.Options): Transform {
  const parser = csvParse().parse(options);
  const push = parser.push.bind(parser);
  parser.push = (record: unknown) =>
    push(record === null ? null : { record, info: { lines: parser.info.lines } });
  return parser;
}

/** A record from csv-parse (`linedCsvParser`, above): the fields and the line the record ends on. */
interface ParsedRecord {
  record: string[];
  info: { lines: number };
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

function zstdCompress(input: Uint8Array): Uint8Array {
  const compress = (zlib() as unknown as { zstdCompressSync: (b: Uint8Array) => Buffer }).zstdCompressSync;
  return compress(input);
}
