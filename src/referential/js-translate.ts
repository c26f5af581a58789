import type { MaskNode } from './mask-syntax.js';

/**
 * Translates an RE2 mask to a JavaScript RegExp only when both promises can
 * be kept; otherwise returns undefined and the caller runs re2js.
 *
 * Same semantics: every construct is rewritten to an explicit equivalent
 * (`.` → `[^\n]`, `\d` → `[0-9]`, `(?i)k` → `[kK\u212A]` as RE2 folds it,
 * classes as explicit ASCII ranges); anything else (`\b`, `(?m)`, POSIX and
 * Unicode classes, non-ASCII under `(?i)`, captures inside a repetition
 * whose JS and RE2 values differ) is refused. Both engines are leftmost-first
 * backtracking-equivalent, so submatches agree.
 *
 * No catastrophic backtracking: the work of a backtracking search is bounded
 * by (start positions) × (length choices of unbounded repetitions) ×
 * (choices of alternations and bounded repetitions) × (pattern size). A mask is
 * translated only when at most one of the first two factors grows with the
 * name (an unanchored mask has no unbounded repetition; an anchored mask has
 * at most one, never nested, over a choice-free body) and the choices are at
 * most `MAX_CHOICES`: the run is linear in the name's length.
 */
export function translateToJs(node: MaskNode): RegExp | undefined {
  const cost = costOf(node);
  if (!cost) return undefined;
  const degree = cost.unbounded + (anchoredAtStart(node) ? 0 : 1);
  if (degree > 1 || cost.choices > MAX_CHOICES) return undefined;
  const source = emit(node, false);
  if (source === undefined) return undefined;
  try {
    return new RegExp(source, 'u');
  } catch {
    return undefined;
  }
}

const MAX_CHOICES = 64;

interface Cost {
  unbounded: number;
  choices: number;
}

function costOf(node: MaskNode): Cost | undefined {
  switch (node.t) {
    case 'lit':
    case 'class':
    case 'assert':
      return { unbounded: 0, choices: 1 };
    case 'group':
      return costOf(node.node);
    case 'cat': {
      let unbounded = 0;
      let choices = 1;
      for (const item of node.items) {
        const c = costOf(item);
        if (!c) return undefined;
        unbounded += c.unbounded;
        choices *= c.choices;
      }
      return { unbounded, choices };
    }
    case 'alt': {
      let unbounded = 0;
      let choices = 0;
      for (const item of node.items) {
        const c = costOf(item);
        if (!c) return undefined;
        unbounded = Math.max(unbounded, c.unbounded);
        choices += c.choices;
      }
      return { unbounded, choices };
    }
    case 'rep': {
      const inner = costOf(node.node);
      if (!inner || inner.unbounded > 0) return undefined;
      if (node.max === Infinity) return inner.choices === 1 ? { unbounded: 1, choices: 1 } : undefined;
      const span = node.max - node.min + 1;
      const choices = inner.choices === 1 ? span : span * inner.choices ** node.max;
      return { unbounded: 0, choices };
    }
  }
}

function anchoredAtStart(node: MaskNode): boolean {
  const first = node.t === 'cat' ? node.items[0] : node;
  if (first?.t === 'group') return anchoredAtStart(first.node);
  return first?.t === 'assert' && first.kind === 'bot';
}

function hex(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/** `inRepeat`: inside a repetition that may run more than once (captures there are refused). */
function emit(node: MaskNode, inRepeat: boolean): string | undefined {
  switch (node.t) {
    case 'lit':
      return emitLiteral(node.ch, node.fold);
    case 'class':
      return emitClass(node);
    case 'assert':
      return node.kind === 'bot' ? '^' : node.kind === 'eot' ? '$' : undefined;
    case 'group': {
      const inner = emit(node.node, inRepeat);
      if (inner === undefined) return undefined;
      if (node.name === undefined) return `(?:${inner})`;
      if (inRepeat || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(node.name)) return undefined;
      return `(?<${node.name}>${inner})`;
    }
    case 'cat':
      return joinAll(
        node.items.map((i) => emit(i, inRepeat)),
        '',
      );
    case 'alt': {
      const body = joinAll(
        node.items.map((i) => emit(i, inRepeat)),
        '|',
      );
      return body === undefined ? undefined : `(?:${body})`;
    }
    case 'rep': {
      const inner = emit(node.node, inRepeat || node.max > 1);
      if (inner === undefined) return undefined;
      const max = node.max === Infinity ? '' : String(node.max);
      return `(?:${inner}){${node.min},${max}}${node.lazy ? '?' : ''}`;
    }
  }
}

function joinAll(parts: Array<string | undefined>, sep: string): string | undefined {
  if (parts.some((p) => p === undefined)) return undefined;
  return parts.join(sep);
}

/** RE2's case orbits for ASCII letters: k and s also fold with KELVIN SIGN and LONG S. */
function foldedCodePoints(cp: number): number[] {
  const out = [cp];
  if (cp >= 0x61 && cp <= 0x7a) out.push(cp - 32);
  if (cp >= 0x41 && cp <= 0x5a) out.push(cp + 32);
  const lower = cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  if (lower === 0x6b) out.push(0x212a);
  if (lower === 0x73) out.push(0x17f);
  return out;
}

function emitLiteral(ch: string, fold: boolean): string | undefined {
  const cp = ch.codePointAt(0)!;
  if (cp === 0xfffd) return undefined;
  if (!fold) return hex(cp);
  if (cp >= 0x80) return undefined;
  const set = foldedCodePoints(cp);
  return set.length === 1 ? hex(cp) : `[${set.map(hex).join('')}]`;
}

type Range = [number, number];

const PERL: Record<string, { ranges: Range[]; negated: boolean }> = {
  d: { ranges: [[0x30, 0x39]], negated: false },
  w: {
    ranges: [
      [0x30, 0x39],
      [0x41, 0x5a],
      [0x5f, 0x5f],
      [0x61, 0x7a],
    ],
    negated: false,
  },
  s: {
    ranges: [
      [0x09, 0x0a],
      [0x0c, 0x0d],
      [0x20, 0x20],
    ],
    negated: false,
  },
};
const CONTROL: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };

function emitClass(node: Extract<MaskNode, { t: 'class' }>): string | undefined {
  if (node.dot) return node.dotAll ? '[^]' : '[^\\n]';
  const parsed = parseClass(node.source);
  if (!parsed) return undefined;
  let ranges = parsed.ranges;
  if (node.fold) ranges = foldRanges(ranges);
  const body = ranges.map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`)).join('');
  if (body === '') return parsed.negated ? '[^]' : undefined;
  return `[${parsed.negated ? '^' : ''}${body}]`;
}

/** ASCII-only classes: `\d` `\w` `\s` (and negations), `[...]` of ASCII chars, ranges and `\d\w\s`. */
function parseClass(source: string): { ranges: Range[]; negated: boolean } | undefined {
  if (source.length === 2 && source[0] === '\\') {
    const perl = PERL[source[1]!.toLowerCase()];
    if (!perl) return undefined;
    return { ranges: perl.ranges, negated: source[1] !== source[1]!.toLowerCase() };
  }
  if (!source.startsWith('[') || !source.endsWith(']')) return undefined;
  let i = 1;
  const negated = source[i] === '^';
  if (negated) i++;
  const end = source.length - 1;
  const ranges: Range[] = [];
  let first = true;
  const single = (): number | undefined => {
    const c = source[i]!;
    if (c === '\\') {
      const e = source[i + 1]!;
      i += 2;
      if (CONTROL[e] !== undefined) return CONTROL[e];
      return e.charCodeAt(0) < 0x80 && /[^0-9A-Za-z_]/.test(e) ? e.charCodeAt(0) : undefined;
    }
    i++;
    return c.charCodeAt(0) < 0x80 && !(c === '[' && source[i] === ':') ? c.charCodeAt(0) : undefined;
  };
  while (i < end) {
    if (source[i] === '\\' && PERL[source[i + 1]!] !== undefined) {
      ranges.push(...PERL[source[i + 1]!]!.ranges);
      i += 2;
      first = false;
      if (source[i] === '-' && i + 1 < end) return undefined;
      continue;
    }
    if (source[i] === ']' && !first) return undefined;
    first = false;
    const lo = single();
    if (lo === undefined) return undefined;
    if (source[i] === '-' && i + 1 < end) {
      i++;
      const hi = single();
      if (hi === undefined || hi < lo) return undefined;
      ranges.push([lo, hi]);
    } else {
      ranges.push([lo, lo]);
    }
  }
  return { ranges: mergeRanges(ranges), negated };
}

function foldRanges(ranges: Range[]): Range[] {
  const out: Range[] = [...ranges];
  for (const [lo, hi] of ranges) {
    for (let cp = lo; cp <= hi; cp++) for (const f of foldedCodePoints(cp)) if (f !== cp) out.push([f, f]);
  }
  return mergeRanges(out);
}

function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}
