import { KeyUnsafeError } from '../model/errors.js';
import { fileNameOf, folderOf } from '../model/keys.js';
import type { TemplateContext } from './types.js';

/** Placeholders every directory template may use, besides the mask's named groups. */
export const BUILTIN_PLACEHOLDERS = ['yyyy', 'mm', 'dd', 'hh', 'name', 'stem', 'ext', 'path'] as const;

export type TemplatePart = { text: string } | { placeholder: string };

/** A template problem: `at` is the 0-based offset in the template. */
export interface TemplateSyntaxProblem {
  at: number;
  message: string;
}

const PLACEHOLDER = /^\{([A-Za-z0-9_]+)\}/;

/**
 * Splits a `destination_directory` template into text and `{placeholder}`
 * parts. A `{` or `}` that does not form a placeholder is a problem.
 */
export function parseTemplate(template: string): {
  parts: TemplatePart[];
  problems: TemplateSyntaxProblem[];
} {
  const parts: TemplatePart[] = [];
  const problems: TemplateSyntaxProblem[] = [];
  let text = '';
  for (let i = 0; i < template.length;) {
    const c = template[i]!;
    if (c === '{') {
      const m = PLACEHOLDER.exec(template.slice(i));
      if (m) {
        if (text) parts.push({ text });
        text = '';
        parts.push({ placeholder: m[1]! });
        i += m[0].length;
        continue;
      }
      problems.push({
        at: i,
        message: `expected a placeholder like {yyyy} at offset ${i}, got ${JSON.stringify(template.slice(i, i + 12))}`,
      });
    } else if (c === '}') {
      problems.push({ at: i, message: `unmatched "}" at offset ${i}` });
    }
    text += c;
    i++;
  }
  if (text) parts.push({ text });
  return { parts, problems };
}

/** Placeholder names used by a template, in order, without duplicates. */
export function placeholdersOf(template: string): string[] {
  const names = new Set<string>();
  for (const p of parseTemplate(template).parts) if ('placeholder' in p) names.add(p.placeholder);
  return [...names];
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Calendar fields of an instant in one time zone. */
interface DateFields {
  yyyy: string;
  mm: string;
  dd: string;
  hh: string;
}

const FORMATTER_LIMIT = 1_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      hourCycle: 'h23',
    });
    if (formatters.size >= FORMATTER_LIMIT) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * Whether Intl knows `timeZone` (an IANA name such as `Europe/Paris`, any
 * case, or `UTC`). The name is kept as written: how Intl spells it back
 * (`Asia/Kolkata` or `Asia/Calcutta`) depends on the ICU of the Node.
 */
export function knownTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Year, month, day and hour of `at` on the wall clock of `timeZone` (UTC when absent). */
export function dateFields(at: Date, timeZone?: string): DateFields {
  if (timeZone === undefined || timeZone === 'UTC') {
    return {
      yyyy: String(at.getUTCFullYear()).padStart(4, '0'),
      mm: pad(at.getUTCMonth() + 1),
      dd: pad(at.getUTCDate()),
      hh: pad(at.getUTCHours()),
    };
  }
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(at)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    yyyy: String(fields['year']).padStart(4, '0'),
    mm: pad(fields['month']!),
    dd: pad(fields['day']!),
    hh: pad(fields['hour']!),
  };
}

function builtinValue(name: string, ctx: TemplateContext, date: () => DateFields): string | undefined {
  const file = fileNameOf(ctx.key);
  const dot = file.lastIndexOf('.');
  switch (name) {
    case 'yyyy':
    case 'mm':
    case 'dd':
    case 'hh':
      return date()[name];
    case 'name':
      return file;
    case 'stem':
      return dot <= 0 ? file : file.slice(0, dot);
    case 'ext':
      return dot <= 0 ? '' : file.slice(dot + 1);
    case 'path':
      return folderOf(ctx.key);
    default:
      return undefined;
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Expands a directory template for one object. Named groups win over built-in
 * placeholders of the same name. The result is normalized (no leading,
 * trailing or doubled `/`; '' is the bucket root). Throws `KeyUnsafeError`
 * when a group value holds `/` or `..`, or when the result has a `.`/`..`
 * segment or a control character: the key must not escape its bucket.
 */
export function expandDirectory(template: string, ctx: TemplateContext): string {
  const parsed = parsedTemplate(template);
  if (parsed.directory !== undefined) return parsed.directory;
  const directory = normalizeDirectory(expand(template, ctx), template);
  // a template of text alone expands to the same folder for every object
  if (parsed.constant) parsed.directory = directory;
  return directory;
}

/**
 * Expands a `destination_name` template for one object, with the placeholders
 * of a directory template. Throws `KeyUnsafeError` when the name is empty,
 * `.` or `..`, or holds `/`, `\` or a control character: a name is one
 * segment of the key.
 */
export function expandName(template: string, ctx: TemplateContext): string {
  const name = expand(template, ctx);
  const quoted = JSON.stringify(template);
  if (name === '' || name === '.' || name === '..') {
    throw new KeyUnsafeError(
      name,
      `file name ${JSON.stringify(name)} from template ${quoted}: expected a name`,
    );
  }
  if (name.includes('/') || name.includes('\\')) {
    throw new KeyUnsafeError(
      name,
      `file name ${JSON.stringify(name)} from template ${quoted} holds a path separator`,
    );
  }
  if (CONTROL.test(name)) {
    throw new KeyUnsafeError(name, `control character in file name (template ${quoted})`);
  }
  return name;
}

/** A template as routing expands it, parsed once; `directory`: a constant template's folder, once expanded. */
interface ParsedTemplate {
  parts: TemplatePart[];
  problem?: string;
  constant: boolean;
  directory?: string;
}

/** Parsed templates by text: a referential has few distinct ones, and each object expands one or two. */
const parsedTemplates = new Map<string, ParsedTemplate>();
const MAX_PARSED_TEMPLATES = 10_000;

function parsedTemplate(template: string): ParsedTemplate {
  let parsed = parsedTemplates.get(template);
  if (!parsed) {
    const { parts, problems } = parseTemplate(template);
    parsed = {
      parts,
      constant: parts.every((p) => 'text' in p),
      ...(problems[0] ? { problem: problems[0].message } : {}),
    };
    if (parsedTemplates.size >= MAX_PARSED_TEMPLATES) parsedTemplates.clear();
    parsedTemplates.set(template, parsed);
  }
  return parsed;
}

function expand(template: string, ctx: TemplateContext): string {
  const { parts, problem } = parsedTemplate(template);
  if (problem !== undefined) throw new KeyUnsafeError(template, problem);
  let fields: DateFields | undefined;
  const date = (): DateFields => (fields ??= dateFields(ctx.created, ctx.timeZone));
  let out = '';
  for (const part of parts) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const name = part.placeholder;
    if (Object.prototype.hasOwnProperty.call(ctx.groups, name)) {
      const value = ctx.groups[name] ?? '';
      if (value.includes('/') || value.includes('\\') || value.includes('..')) {
        throw new KeyUnsafeError(
          value,
          `value of group {${name}} would leave its folder (template ${JSON.stringify(template)})`,
        );
      }
      out += value;
      continue;
    }
    const value = builtinValue(name, ctx, date);
    if (value === undefined) {
      throw new KeyUnsafeError(
        template,
        `unknown placeholder {${name}}: expected one of ${BUILTIN_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')} or a named group of the mask`,
      );
    }
    out += value;
  }
  return out;
}

/** Collapses `//`, strips leading and trailing `/`, and refuses `.`/`..` segments and control characters. */
export function normalizeDirectory(directory: string, template = directory): string {
  const normalized = directory
    .replace(/\/{2,}/g, '/')
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
  if (CONTROL.test(normalized))
    throw new KeyUnsafeError(
      normalized,
      `control character in directory (template ${JSON.stringify(template)})`,
    );
  for (const segment of normalized.split('/')) {
    if (segment === '.' || segment === '..') {
      throw new KeyUnsafeError(
        normalized,
        `"${segment}" segment in directory (template ${JSON.stringify(template)})`,
      );
    }
  }
  return normalized;
}
