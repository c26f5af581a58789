import { createRequire } from 'node:module';
import { Transform, type TransformCallback } from 'node:stream';
import type * as CsvParse from 'csv-parse';
import { CsvToParquet, DEFAULT_PARQUET, duplicateColumn, type ParquetOptions } from './csv-parquet.js';
import { zlib } from '../util/builtins.js';

/** The values of the referential's `transform` column. */
export const TRANSFORMS = ['gzip', 'gunzip', 'csv-to-jsonl', 'csv-to-parquet'] as const;
export type TransformName = (typeof TRANSFORMS)[number];

/** How CSV sources are read (`csv` in switchyard.yaml): RFC 4180 with a header row. */
export interface CsvOptions {
  /** One character between fields (default `,`). */
  delimiter: string;
  /** One character around a field holding the delimiter, a quote or a line break (default `"`). */
  quote: string;
}

export const DEFAULT_CSV: CsvOptions = { delimiter: ',', quote: '"' };

/**
 * The destination file name once transformed: `gzip` adds `.gz`, `gunzip`
 * removes it (a name without it is kept), `csv-to-jsonl` turns `.csv` into
 * `.jsonl` (a name without `.csv` gains `.jsonl`), `csv-to-parquet` likewise
 * into `.parquet`.
 */
export function transformedName(name: string, transform: TransformName | undefined): string {
  switch (transform) {
    case undefined:
      return name;
    case 'gzip':
      return `${name}.gz`;
    case 'gunzip':
      return /.\.gz$/i.test(name) ? name.slice(0, -3) : name;
    case 'csv-to-jsonl':
      return /.\.csv$/i.test(name) ? `${name.slice(0, -4)}.jsonl` : `${name}.jsonl`;
    case 'csv-to-parquet':
      return /.\.csv$/i.test(name) ? `${name.slice(0, -4)}.parquet` : `${name}.parquet`;
  }
}

/**
 * What the names a mask's literal suffix allows end with once renamed by
 * `transform` ('' when nothing certain: any ending may arrive), so that
 * cycle checks compare the name that arrives, not the one that left.
 */
export function transformedSuffix(suffix: string, transform: TransformName | undefined): string {
  const lower = suffix.toLowerCase();
  switch (transform) {
    case undefined:
      return suffix;
    case 'gzip':
      return `${suffix}.gz`;
    case 'gunzip':
      return lower.endsWith('.gz') ? suffix.slice(0, -3) : '';
    case 'csv-to-jsonl':
      return lower.endsWith('.csv') ? `${suffix.slice(0, -4)}.jsonl` : '.jsonl';
    case 'csv-to-parquet':
      return lower.endsWith('.csv') ? `${suffix.slice(0, -4)}.parquet` : '.parquet';
  }
}

/**
 * What the names a mask's literal prefix allows start with once renamed:
 * the prefix less the characters a rename may replace (a whole name may be
 * that literal), so the start that is certain.
 */
export function transformedPrefix(prefix: string, transform: TransformName | undefined): string {
  const replaced =
    transform === 'csv-to-jsonl' || transform === 'csv-to-parquet' ? 4 : transform === 'gunzip' ? 3 : 0;
  return prefix.slice(0, Math.max(0, prefix.length - replaced));
}

/** The content type a transformed object is written with (undefined: the source's is dropped, none set). */
export function transformedContentType(transform: TransformName): string | undefined {
  switch (transform) {
    case 'gzip':
      return 'application/gzip';
    case 'gunzip':
      return undefined;
    case 'csv-to-jsonl':
      return 'application/x-ndjson';
    case 'csv-to-parquet':
      return 'application/vnd.apache.parquet';
  }
}

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

/**
 * Whether an error is the transform's own (the data cannot be transformed:
 * zlib's `Z_*`, csv-parse's `CSV_*`, the Parquet stage's `PARQUET_*`), not a read or write failure passed
 * along the pipeline; and the source line it names (CSV).
 */
export function transformFailure(error: unknown): { reason: string; line?: number } | undefined {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return undefined;
  if (!/^(Z_|CSV_|PARQUET_)/.test(error.code)) return undefined;
  const lines = 'lines' in error && typeof error.lines === 'number' ? error.lines : undefined;
  const reason = error.message.replace(/ (on|at) line \d+/, '');
  return lines === undefined ? { reason } : { reason, line: lines };
}

const require = createRequire(import.meta.url);

/** csv-parse's streaming parser, loaded on the first CSV transform only. */
function csvParse(): typeof CsvParse {
  return require('csv-parse') as typeof CsvParse;
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
