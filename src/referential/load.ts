import { createRequire } from 'node:module';
import { extname } from 'node:path';
import type * as CsvParse from 'csv-parse/sync';
import type * as Yaml from 'yaml';
import { ReferentialInvalidError, ReferentialMissingError, type Problem } from '../model/errors.js';
import { readTextFile } from '../util/fs-async.js';
import type { RawRow } from './types.js';

export type ReferentialFormat = 'csv' | 'yaml' | 'json';

/** `.csv`, `.yaml`/`.yml`, `.json`; anything else is refused. */
export function formatOf(file: string): ReferentialFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  throw new ReferentialInvalidError(file, [
    problem(file, 1, '', `expected a .csv, .yaml, .yml or .json file, got extension ${JSON.stringify(ext)}`),
  ]);
}

function problem(file: string, line: number, column: string, message: string): Problem {
  return { file, line, column, message, severity: 'error' };
}

/**
 * Reads referential rows from text. Each row keeps the line it starts on
 * (a CSV header is line 1). Field names and values are kept as written except
 * that header names are trimmed; blank rows are skipped. Throws
 * `ReferentialInvalidError` on a structural problem (malformed CSV or YAML,
 * a JSON/YAML document that is not a list of flat objects, a row with more
 * fields than the header).
 */
export function loadReferentialText(
  text: string,
  file: string,
  format: ReferentialFormat = formatOf(file),
): RawRow[] {
  if (format === 'csv') return loadCsv(text, file);
  return loadStructured(text, file, format);
}

/** Reads a referential file; the format comes from its extension. */
export async function loadReferentialFile(path: string): Promise<RawRow[]> {
  const format = formatOf(path);
  return loadReferentialText(await readReferentialText(path), path, format);
}

/** The text of a local referential file; ReferentialMissingError when there is no such file. */
export async function readReferentialText(path: string): Promise<string> {
  try {
    return await readTextFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ReferentialMissingError(path, { cause: error });
    throw error;
  }
}

interface CsvRecord {
  record: string[];
  /** The physical line the record starts on. */
  line: number;
}

function loadCsv(text: string, file: string): RawRow[] {
  const normalized = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  const records = normalized.includes('"') ? quotedRecords(normalized, file) : unquotedRecords(normalized);
  const [head, ...body] = records.filter((r) => r.record.some((v) => v.trim() !== ''));
  if (!head) return [];
  const header = head.record.map((h) => h.trim());
  const problems: Problem[] = [];
  header.forEach((name, i) => {
    if (name === '')
      problems.push(problem(file, 1, `#${i + 1}`, `empty column name in header (column ${i + 1})`));
    else if (header.indexOf(name) !== i)
      problems.push(problem(file, 1, name, `column ${JSON.stringify(name)} appears twice in the header`));
  });
  const rows: RawRow[] = [];
  for (const rec of body) {
    const line = rec.line;
    if (rec.record.length > header.length) {
      problems.push(
        problem(
          file,
          line,
          '',
          `expected at most ${header.length} fields as in the header, got ${rec.record.length}`,
        ),
      );
      continue;
    }
    const fields: Record<string, string> = {};
    header.forEach((name, i) => {
      if (name !== '' && i < rec.record.length) fields[name] = rec.record[i]!;
    });
    rows.push(rec.record.length < header.length ? { file, line, fields, header } : { file, line, fields });
  }
  if (problems.length > 0) throw new ReferentialInvalidError(file, problems);
  return rows;
}

/** Records of CSV text with quotes (csv-parse, keeping where each record starts). */
function quotedRecords(text: string, file: string): CsvRecord[] {
  let parsed: Array<{ record: string[]; raw: string; info: { lines: number } }>;
  try {
    parsed = csvParse().parse(text, {
      bom: true,
      info: true,
      raw: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as unknown as typeof parsed;
  } catch (error) {
    const line =
      typeof (error as { lines?: unknown }).lines === 'number' ? (error as { lines: number }).lines : 1;
    throw new ReferentialInvalidError(file, [
      problem(file, line, '', `malformed CSV: ${(error as Error).message}`),
    ]);
  }
  return parsed.map((rec) => ({ record: rec.record, line: startLine(rec.raw, rec.info.lines) }));
}

/**
 * Records of CSV text without a quote, which cannot hold a delimiter or a
 * line break inside a field: one per non-empty line, split at commas, which
 * is what csv-parse returns for it without the per-record bookkeeping that
 * made it most of the time of loading 50,000 rows.
 */
function unquotedRecords(text: string): CsvRecord[] {
  const lines = (text.startsWith('\ufeff') ? text.slice(1) : text).split('\n');
  const records: CsvRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line !== '') records.push({ record: line.split(','), line: i + 1 });
  }
  return records;
}

/** The physical line a record starts on: its end line minus the newlines inside it. */
function startLine(rawText: string, lines: number): number {
  const raw = rawText.replace(/^\n+/, '').replace(/\n$/, '');
  let newlines = 0;
  for (let i = 0; i < raw.length; i++) if (raw.charCodeAt(i) === 10) newlines++;
  return lines - newlines;
}

const requireCjs = createRequire(import.meta.url);

/**
 * csv-parse, loaded on the first CSV with a quote: most referentials have
 * none and are split by lines and commas (`unquotedRecords`).
 */
function csvParse(): typeof CsvParse {
  return requireCjs('csv-parse/sync') as typeof CsvParse;
}

/**
 * The YAML parser, loaded on the first YAML or JSON referential: it is 80
 * files (~40 ms of every start-up), and most referentials are CSV. Its Node
 * build is CommonJS, so `require` loads it synchronously where it is needed
 * (in the CLI's bundle, from dist/bundle/_vendor-yaml.cjs: scripts/build-cli.mjs).
 */
function yaml(): typeof Yaml {
  return requireCjs('yaml') as typeof Yaml;
}

function loadStructured(text: string, file: string, format: 'yaml' | 'json'): RawRow[] {
  const { isSeq } = yaml();
  if (format === 'json') checkJson(text, file);
  const { doc, lineAt } = parseStructured(text, file, format);
  if (doc.contents === null) return [];
  if (!isSeq(doc.contents)) {
    throw new ReferentialInvalidError(file, [
      problem(
        file,
        lineAt(doc.contents.range?.[0]),
        '',
        'expected a list of rows (objects), got something else',
      ),
    ]);
  }
  const problems: Problem[] = [];
  const rows: RawRow[] = [];
  for (const item of doc.contents.items) {
    const itemRange = (item as { range?: [number, number, number] | null }).range;
    const line = lineAt(itemRange?.[0]);
    const fields = rowFields(item, file, line, problems);
    if (fields && Object.keys(fields).length > 0) rows.push({ file, line, fields });
  }
  if (problems.length > 0) throw new ReferentialInvalidError(file, problems);
  return rows;
}

/** A .json referential must be strict JSON, which the YAML parser alone would not enforce (it reads `[{a: b}]`). */
function checkJson(text: string, file: string): void {
  try {
    JSON.parse(text);
  } catch (error) {
    throw new ReferentialInvalidError(file, [
      problem(file, jsonErrorLine(text, error), '', `malformed JSON: ${(error as Error).message}`),
    ]);
  }
}

/** The parsed document and a line lookup for its offsets; a syntax error throws with its line. */
function parseStructured(
  text: string,
  file: string,
  format: 'yaml' | 'json',
): { doc: Yaml.Document.Parsed; lineAt: (offset: number | undefined) => number } {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const lineAt = (offset: number | undefined): number =>
    offset === undefined ? 1 : lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    throw new ReferentialInvalidError(
      file,
      doc.errors.map((e) =>
        problem(file, lineAt(e.pos[0]), '', `malformed ${format.toUpperCase()}: ${e.message.split('\n')[0]}`),
      ),
    );
  }
  return { doc, lineAt };
}

/** One list item's fields (values as written); undefined when it is not an object. Problems go to `problems`. */
function rowFields(
  item: unknown,
  file: string,
  line: number,
  problems: Problem[],
): Record<string, string> | undefined {
  const { isMap, isScalar } = yaml();
  if (!isMap(item)) {
    problems.push(
      problem(file, line, '', 'expected a row as an object of column: value, got something else'),
    );
    return undefined;
  }
  const fields: Record<string, string> = {};
  for (const pair of item.items) {
    const key = isScalar(pair.key) ? String(pair.key.value).trim() : undefined;
    if (key === undefined) {
      problems.push(problem(file, line, '', 'expected a plain column name'));
      continue;
    }
    const value = pair.value;
    if (value === null || (isScalar(value) && value.value === null)) fields[key] = '';
    else if (isScalar(value))
      fields[key] = typeof value.value === 'string' ? value.value : (value.source ?? String(value.value));
    else
      problems.push(
        problem(file, line, key, 'expected a plain value (text, number or boolean), got a list or an object'),
      );
  }
  return fields;
}

function jsonErrorLine(text: string, error: unknown): number {
  const m = /position (\d+)/.exec((error as Error).message);
  if (!m) return 1;
  return text.slice(0, Number(m[1])).split('\n').length;
}
