import type { Problem } from '../model/errors.js';
import type { RouteAction } from '../ledger/types.js';
import { checkGroupColumns } from './group-columns.js';
import { compileMask } from './matcher.js';
import { TYPICAL_EXTENSIONS } from './overlap.js';
import { TRANSFORMS, type TransformName } from '../storage/transform.js';
import { BUILTIN_PLACEHOLDERS, knownTimeZone, parseTemplate } from './template.js';
import { notifyUrlProblem, redactNotifyUrl } from './notify-url.js';
import type { ConflictPolicy, RawRow, Route } from './types.js';

export const REQUIRED_COLUMNS = [
  'source_project',
  'source_bucket',
  'source_file_mask',
  'destination_project',
  'destination_bucket',
  'destination_directory',
] as const;

export const OPTIONAL_COLUMNS = [
  'action',
  'on_conflict',
  'route_id',
  'enabled',
  'allow_cycle',
  'destination_name',
  'timezone',
  'transform',
  'write_manifest',
  'notify',
  'complete_when',
  'group_timeout',
] as const;

const ACTIONS: readonly RouteAction[] = ['move', 'copy'];
const CONFLICTS: readonly ConflictPolicy[] = ['fail', 'overwrite', 'version'];
const TRUE = new Set(['true', 'yes', 'y', '1', 'on']);
const FALSE = new Set(['false', 'no', 'n', '0', 'off']);
const NAME_COLUMNS = [
  'source_project',
  'source_bucket',
  'destination_project',
  'destination_bucket',
] as const;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const WHAT: Record<string, string> = {
  source_project: 'a project name',
  source_bucket: 'a bucket name',
  destination_project: 'a project name',
  destination_bucket: 'a bucket name',
};

/** Trimmed field value ('' when absent). */
export function fieldOf(row: RawRow, column: string): string {
  return (row.fields[column] ?? '').trim();
}

/**
 * Checks one row on its own and builds its route when it has no error.
 * `index` is the 1-based data row index (the default route id is `row-INDEX`).
 */
export function checkRow(row: RawRow, index: number): { route?: Route; problems: Problem[] } {
  const problems: Problem[] = [];
  const report = (column: string, message: string, severity: Problem['severity'] = 'error'): void => {
    problems.push({ file: row.file, line: row.line, column, message, severity });
  };
  checkPrintable(row, report);
  if (problems.length > 0) return { problems };

  checkNames(row, report);
  const mask = fieldOf(row, 'source_file_mask');
  const groups = 'source_file_mask' in row.fields ? checkMask(mask, report) : [];
  const directory = fieldOf(row, 'destination_directory');
  checkDirectory(directory, groups, report);

  const action = choice(row, 'action', ACTIONS, 'move', report);
  const onConflict = choice(row, 'on_conflict', CONFLICTS, 'fail', report);
  const enabled = flag(row, 'enabled', true, report);
  const allowCycle = flag(row, 'allow_cycle', false, report);
  const transform = choice<TransformName | 'none'>(row, 'transform', [...TRANSFORMS, 'none'], 'none', report);
  const id = fieldOf(row, 'route_id') || `row-${index}`;
  const name = fieldOf(row, 'destination_name');
  if (name !== '') checkName(name, groups, report);
  const timezone = checkTimezone(fieldOf(row, 'timezone'), id, [directory, name], report);
  const writeManifest = strictFlag(row, 'write_manifest', id, report);
  const notify = checkNotify(fieldOf(row, 'notify'), id, report);
  const group = checkGroupColumns(fieldOf(row, 'complete_when'), fieldOf(row, 'group_timeout'), mask, report);

  if (problems.some((p) => p.severity === 'error')) return { problems };
  if (REQUIRED_COLUMNS.some((c) => !(c in row.fields))) return { problems };
  const route: Route = {
    id,
    file: row.file,
    line: row.line,
    sourceProject: fieldOf(row, 'source_project'),
    sourceBucket: fieldOf(row, 'source_bucket'),
    mask,
    destinationProject: fieldOf(row, 'destination_project'),
    destinationBucket: fieldOf(row, 'destination_bucket'),
    destinationDirectory: directory,
    action: action ?? 'move',
    onConflict: onConflict ?? 'fail',
    enabled: enabled ?? true,
    allowCycle: allowCycle ?? false,
    ...(transform && transform !== 'none' ? { transform } : {}),
    ...group,
  };
  if (name !== '') route.destinationName = name;
  if (timezone !== undefined) route.timezone = timezone;
  if (writeManifest) route.writeManifest = true;
  if (notify !== undefined) route.notify = notify;
  return { route, problems };
}

type Report = (column: string, message: string, severity?: Problem['severity']) => void;

/** A control character in any field (the row is checked no further then). */
function checkPrintable(row: RawRow, report: Report): void {
  for (const [column, value] of Object.entries(row.fields)) {
    const m = CONTROL.exec(value.trim());
    if (m)
      report(
        column,
        `expected printable text, got control character U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} in ${JSON.stringify(value)}`,
      );
  }
}

/** Project and bucket names present in the row: not empty, one path segment. */
function checkNames(row: RawRow, report: Report): void {
  for (const column of NAME_COLUMNS) {
    if (!(column in row.fields)) continue;
    const value = fieldOf(row, column);
    if (value === '') report(column, `empty value: expected ${WHAT[column]}`);
    else if (value.includes('/') || value.includes('\\') || value === '.' || value === '..') {
      report(column, `expected ${WHAT[column]} (one path segment), got ${JSON.stringify(value)}`);
    }
  }
}

/** Checks the mask (not empty, valid RE2, a warning for `.csv` meant as `\.csv`); returns its named groups. */
function checkMask(mask: string, report: Report): string[] {
  if (mask === '') {
    report(
      'source_file_mask',
      'empty mask: expected an RE2 regular expression searched in the file name (an empty mask would match every file)',
    );
    return [];
  }
  try {
    const groups = compileMask(mask).groupNames;
    const dot = dotBeforeExtension(mask);
    if (dot)
      report(
        'source_file_mask',
        `unescaped "." before "${dot}" matches any character (e.g. "x${dot}"): expected "\\.${dot}" to match a literal dot`,
        'warning',
      );
    return groups;
  } catch (error) {
    report('source_file_mask', `invalid RE2 mask ${JSON.stringify(mask)}: ${(error as Error).message}`);
    return [];
  }
}

/** What a directory template says on its own, whatever the mask (read once per distinct directory). */
interface DirectoryFacts {
  syntax: string[];
  placeholders: string[];
  absolute: boolean;
  /** The `.` or `..` segment that escapes, if any. */
  escaping: string | undefined;
}

const DIRECTORY_CACHE_LIMIT = 10_000;
const directories = new Map<string, DirectoryFacts>();
const BUILTINS: ReadonlySet<string> = new Set<string>(BUILTIN_PLACEHOLDERS);

function directoryFacts(directory: string): DirectoryFacts {
  let facts = directories.get(directory);
  if (facts) return facts;
  const { parts, problems } = parseTemplate(directory);
  const skeleton = parts.map((p) => ('text' in p ? p.text : 'X')).join('');
  facts = {
    syntax: problems.map((p) => p.message),
    placeholders: parts.flatMap((p) => ('placeholder' in p ? [p.placeholder] : [])),
    absolute: directory.startsWith('/'),
    escaping: skeleton.split('/').find((segment) => segment === '..' || segment === '.'),
  };
  if (directories.size >= DIRECTORY_CACHE_LIMIT) directories.clear();
  directories.set(directory, facts);
  return facts;
}

function checkDirectory(directory: string, groups: string[], report: Report): void {
  const column = 'destination_directory';
  const facts = directoryFacts(directory);
  for (const message of facts.syntax) report(column, message);
  for (const name of facts.placeholders) {
    if (!BUILTINS.has(name) && !groups.includes(name)) {
      const fromMask = groups.length > 0 ? groups.map((g) => `{${g}}`).join(' ') : 'none';
      report(
        column,
        `unknown placeholder {${name}}: expected one of ${BUILTIN_PLACEHOLDERS.map((b) => `{${b}}`).join(' ')} or a named group of the mask (mask groups: ${fromMask})`,
      );
    }
  }
  for (const g of groups) {
    if (BUILTINS.has(g))
      report(
        'source_file_mask',
        `named group "${g}" hides the built-in placeholder {${g}}: the group's value is used`,
        'warning',
      );
  }
  if (facts.absolute) {
    report(column, `expected a directory relative to the bucket, got absolute ${JSON.stringify(directory)}`);
  }
  if (facts.escaping !== undefined) {
    report(
      column,
      `"${facts.escaping}" segment would escape the bucket or its folder: expected plain folder names, got ${JSON.stringify(directory)}`,
    );
  }
}

/** Placeholders that always give at least one character other than `.`. */
const NEVER_EMPTY: ReadonlySet<string> = new Set(['yyyy', 'mm', 'dd', 'hh', 'name', 'stem']);
const DATE_PLACEHOLDERS: ReadonlySet<string> = new Set(['yyyy', 'mm', 'dd', 'hh']);

/**
 * A `destination_name` template: valid syntax, known placeholders, one key
 * segment whatever the file (no `/` or `\\` in its text, no `{path}`), and
 * never empty, `.` or `..`: with its text alone `''`, `.` or `..`, some
 * placeholder must always give a character (a date, `{name}`, `{stem}`;
 * `{ext}` and mask groups may be empty). Without any placeholder every file
 * gets one name (a warning).
 */
function checkName(template: string, groups: string[], report: Report): void {
  const column = 'destination_name';
  const { parts, problems } = parseTemplate(template);
  for (const p of problems) report(column, p.message);
  const text = parts.flatMap((p) => ('text' in p ? [p.text] : [])).join('');
  const placeholders = parts.flatMap((p) => ('placeholder' in p ? [p.placeholder] : []));
  for (const name of placeholders) {
    if (groups.includes(name)) continue;
    if (!BUILTINS.has(name)) {
      const fromMask = groups.length > 0 ? groups.map((g) => `{${g}}`).join(' ') : 'none';
      report(
        column,
        `unknown placeholder {${name}}: expected one of ${BUILTIN_PLACEHOLDERS.map((b) => `{${b}}`).join(' ')} or a named group of the mask (mask groups: ${fromMask})`,
      );
    } else if (name === 'path') {
      report(
        column,
        `{path} is a folder and would put "/" in the file name: expected it in destination_directory`,
      );
    }
  }
  if (text.includes('/') || text.includes('\\')) {
    report(
      column,
      `expected a file name without "/" or "\\" (folders go in destination_directory), got ${JSON.stringify(template)}`,
    );
  }
  const alwaysSome = placeholders.some((p) => NEVER_EMPTY.has(p) && !groups.includes(p));
  if (!alwaysSome && (text === '' || text === '.' || text === '..')) {
    report(
      column,
      `name template ${JSON.stringify(template)} can give ${text === '' ? 'an empty name' : `the name "${text}"`} (its placeholders may be empty): expected text or a placeholder that is never empty ({name}, {stem}, a date)`,
    );
  }
  if (placeholders.length === 0 && problems.length === 0) {
    report(
      column,
      `name template ${JSON.stringify(template)} has no placeholder: every file of this row gets the same name, and all but the first meet on_conflict`,
      'warning',
    );
  }
}

/** A `timezone` Intl knows, as written; a warning when no template of the row reads a date. */
function checkTimezone(value: string, id: string, templates: string[], report: Report): string | undefined {
  if (value === '') return undefined;
  if (!knownTimeZone(value)) {
    report(
      'timezone',
      `row ${id}: invalid timezone ${JSON.stringify(value)}: expected an IANA time zone name such as Europe/Paris or UTC`,
    );
    return undefined;
  }
  const readsDate = templates.some((t) =>
    parseTemplate(t).parts.some((p) => 'placeholder' in p && DATE_PLACEHOLDERS.has(p.placeholder)),
  );
  if (!readsDate) {
    report(
      'timezone',
      `row ${id}: timezone ${value} is not used: neither destination_directory nor destination_name has a date placeholder`,
      'warning',
    );
  }
  return value;
}

function choice<T extends string>(
  row: RawRow,
  column: string,
  allowed: readonly T[],
  fallback: T,
  report: Report,
): T | undefined {
  const value = fieldOf(row, column).toLowerCase();
  if (value === '') return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  report(
    column,
    `invalid ${column} ${JSON.stringify(fieldOf(row, column))}: expected one of ${allowed.join(', ')}`,
  );
  return undefined;
}

function flag(row: RawRow, column: string, fallback: boolean, report: Report): boolean | undefined {
  const value = fieldOf(row, column).toLowerCase();
  if (value === '') return fallback;
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  report(
    column,
    `invalid ${column} ${JSON.stringify(fieldOf(row, column))}: expected true or false (also yes/no, 1/0)`,
  );
  return undefined;
}

/** `write_manifest`: `true` or `false` only (empty: false), naming the row and the value otherwise. */
function strictFlag(row: RawRow, column: string, id: string, report: Report): boolean {
  const value = fieldOf(row, column);
  if (value === '' || value.toLowerCase() === 'false') return false;
  if (value.toLowerCase() === 'true') return true;
  report(column, `row ${id}: invalid ${column} ${JSON.stringify(value)}: expected true or false`);
  return false;
}

/** `notify`: a URL of one of the four schemes (notify-url.ts), naming the row and the value otherwise. */
function checkNotify(value: string, id: string, report: Report): string | undefined {
  if (value === '') return undefined;
  const problem = notifyUrlProblem(value);
  if (problem === undefined) return value;
  report('notify', `row ${id}: invalid notify ${JSON.stringify(redactNotifyUrl(value))}: ${problem}`);
  return undefined;
}

/** Whether the mask at `at` holds `ext` (any case) not followed by a letter or digit. */
function extensionAt(mask: string, at: number, ext: string): boolean {
  const end = at + ext.length;
  return mask.slice(at, end).toLowerCase() === ext && !/^[A-Za-z0-9]/.test(mask.slice(end, end + 1));
}

/** The extension an unescaped `.` directly precedes (`.*.csv` → `csv`), if any. */
export function dotBeforeExtension(mask: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < mask.length; i++) {
    const c = mask[i];
    if (c === '\\') {
      if (mask[i + 1] === 'Q') {
        const end = mask.indexOf('\\E', i + 2);
        if (end === -1) return undefined;
        i = end + 1;
      } else {
        i++;
      }
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      if (mask[i + 1] === '^') i++;
      if (mask[i + 1] === ']') i++;
    } else if (c === '.') {
      // plain comparisons: a sticky RegExp per extension, compiled at each start, cost 0.5 ms
      for (const ext of TYPICAL_EXTENSIONS)
        if (extensionAt(mask, i + 1, ext)) return mask.slice(i + 1, i + 1 + ext.length);
    }
  }
  return undefined;
}
