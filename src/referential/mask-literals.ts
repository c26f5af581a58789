import type { MaskNode } from './mask-syntax.js';

/**
 * A literal every match must contain. A `folded` literal is ASCII lower case
 * and is looked for in the name folded by `foldChar` (ASCII upper → lower,
 * KELVIN SIGN → k, LONG S → s): RE2's `(?i)` folds exactly those characters
 * onto ASCII letters, so the fold never hides a real match.
 */
export interface Literal {
  text: string;
  folded: boolean;
}

/** One of `anyOf` must occur in every matching name. */
export type Requirement = Literal[];

/** What the prefilter may rely on: every requirement holds for every match. */
export interface MaskLiterals {
  requirements: Requirement[];
  /** Set when the whole mask is one case-sensitive literal, optionally anchored. */
  exact?: { text: string; start: boolean; end: boolean };
}

const MAX_SET = 16;
const MAX_LEN = 64;

interface Info {
  /** Every string the node can match (small sets only), or null. */
  exact: Literal[] | null;
  /** Requirements implied by the node. */
  reqs: Requirement[];
}

/** Literal facts of a parsed mask. Never claims more than the mask implies. */
export function analyseMask(node: MaskNode): MaskLiterals {
  const info = infoOf(node);
  const reqs = [...info.reqs];
  const whole = toRequirement(info.exact);
  if (whole) reqs.push(whole);
  // kept as long as the mask is: flat copies, not the pieces they were built from
  const requirements = dedupe(reqs).map((r) => r.map((l) => ({ text: flat(l.text), folded: l.folded })));
  const result: MaskLiterals = { requirements };
  const exact = exactLiteral(node);
  if (exact) result.exact = { ...exact, text: flat(exact.text) };
  return result;
}

/**
 * The same text, flat: V8 keeps a string built by repeated `+` as a tree of
 * its pieces (kilobytes for a 40-character literal built a character at a
 * time); converting it to a number flattens it in place.
 */
function flat(text: string): string {
  void Number(text);
  return text;
}

/** Folds one UTF-16 code unit the way folded literals expect; -1 keeps it. */
export function foldCode(code: number): number {
  if (code >= 65 && code <= 90) return code + 32;
  if (code === 0x212a) return 107;
  if (code === 0x17f) return 115;
  return code;
}

function lit(ch: string, fold: boolean): Literal | null {
  if (!fold) return { text: ch, folded: false };
  if (ch.length !== 1 || ch.charCodeAt(0) >= 0x80) return null;
  return { text: ch.toLowerCase(), folded: true };
}

function concatLiteral(a: Literal, b: Literal): Literal | null {
  if (a.text.length + b.text.length > MAX_LEN) return null;
  if (a.folded === b.folded) return { text: a.text + b.text, folded: a.folded };
  if (!isAscii(a.text) || !isAscii(b.text)) return null;
  return { text: (a.text + b.text).toLowerCase(), folded: true };
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function product(a: Literal[], b: Literal[]): Literal[] | null {
  if (a.length * b.length > MAX_SET) return null;
  const out: Literal[] = [];
  for (const x of a) {
    for (const y of b) {
      const c = concatLiteral(x, y);
      if (!c) return null;
      out.push(c);
    }
  }
  return out;
}

function toRequirement(set: Literal[] | null): Requirement | null {
  if (!set || set.length === 0 || set.some((l) => l.text.length === 0 || l.text.includes('\ufffd')))
    return null;
  return set;
}

function infoOf(node: MaskNode): Info {
  switch (node.t) {
    case 'lit': {
      const l = lit(node.ch, node.fold);
      return { exact: l ? [l] : null, reqs: [] };
    }
    case 'class':
      return { exact: null, reqs: [] };
    case 'assert':
      return { exact: [{ text: '', folded: false }], reqs: [] };
    case 'group':
      return infoOf(node.node);
    case 'rep':
      return repInfo(node.node, node.min, node.max);
    case 'alt':
      return altInfo(node.items);
    case 'cat':
      return catInfo(node.items);
  }
}

function repInfo(inner: MaskNode, min: number, max: number): Info {
  if (max === 0) return { exact: [{ text: '', folded: false }], reqs: [] };
  if (min === 0) return { exact: null, reqs: [] };
  const sub = infoOf(inner);
  const reqs = [...sub.reqs];
  const r = toRequirement(sub.exact);
  if (r) reqs.push(r);
  let exact: Literal[] | null = null;
  if (min === max && sub.exact && min <= MAX_LEN) {
    exact = [{ text: '', folded: false }];
    for (let i = 0; i < min && exact; i++) exact = product(exact, sub.exact);
  }
  return { exact, reqs };
}

function altInfo(items: MaskNode[]): Info {
  const infos = items.map(infoOf);
  let exact: Literal[] | null = [];
  for (const i of infos) {
    if (!i.exact || !exact || exact.length + i.exact.length > MAX_SET) exact = null;
    else exact.push(...i.exact);
  }
  const union: Literal[] = [];
  for (const i of infos) {
    const best = bestRequirement(i);
    if (!best) return { exact, reqs: [] };
    union.push(...best);
  }
  return { exact, reqs: union.length <= MAX_SET ? [union] : [] };
}

function catInfo(items: MaskNode[]): Info {
  const reqs: Requirement[] = [];
  let acc: Literal[] | null = [{ text: '', folded: false }];
  let allExact = true;
  const flush = (): void => {
    const r = toRequirement(acc);
    if (r) reqs.push(r);
  };
  for (const item of items) {
    if (item.t === 'lit' && acc !== null && acc.length === 1) {
      // one more character after one literal: what product() below gives, without its sets
      const l = lit(item.ch, item.fold);
      const c: Literal | null = l && concatLiteral(acc[0]!, l);
      if (c) {
        acc = [c];
        continue;
      }
    }
    const info = infoOf(item);
    reqs.push(...info.reqs);
    if (!info.exact) {
      allExact = false;
      flush();
      acc = [{ text: '', folded: false }];
      continue;
    }
    const next: Literal[] | null = acc ? product(acc, info.exact) : null;
    if (next) {
      acc = next;
    } else {
      allExact = false;
      flush();
      acc = info.exact;
    }
  }
  if (allExact) return { exact: acc, reqs };
  flush();
  return { exact: null, reqs };
}

function bestRequirement(info: Info): Requirement | null {
  const candidates = [...info.reqs];
  const r = toRequirement(info.exact);
  if (r) candidates.push(r);
  let best: Requirement | null = null;
  for (const c of candidates) if (!best || requirementScore(c) > requirementScore(best)) best = c;
  return best;
}

/** Higher is more selective: long literals, few alternatives, case-sensitive. */
export function requirementScore(req: Requirement): number {
  let min = Infinity;
  for (const l of req) min = Math.min(min, l.text.length - (l.folded ? 0.5 : 0));
  return min - Math.log2(req.length);
}

function dedupe(reqs: Requirement[]): Requirement[] {
  const seen = new Set<string>();
  const out: Requirement[] = [];
  for (const r of reqs) {
    const key = requirementKey(r);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(r);
    }
  }
  return out.sort((a, b) => requirementScore(b) - requirementScore(a));
}

/** One string per distinct requirement (its literals in order, length-prefixed). */
function requirementKey(r: Requirement): string {
  let key = '';
  for (const l of r) key += `${l.folded ? 'i' : 's'}${l.text.length}:${l.text}`;
  return key;
}

/** `abc`, `^abc`, `abc$`, `^abc$`, `\Aabc\z`: decidable by a plain string test. */
function exactLiteral(node: MaskNode): MaskLiterals['exact'] | undefined {
  const items = node.t === 'cat' ? node.items : [node];
  let start = false;
  let end = false;
  let text = '';
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.t === 'assert' && item.kind === 'bot' && i === 0) start = true;
    else if (item.t === 'assert' && item.kind === 'eot' && i === items.length - 1) end = true;
    else if (item.t === 'lit' && !item.fold && item.ch !== '\ufffd') text += item.ch;
    else return undefined;
  }
  return text.length > 0 ? { text, start, end } : undefined;
}
