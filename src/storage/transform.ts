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
