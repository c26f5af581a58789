/**
 * A conservative reader of RE2 mask syntax, used only to *analyse* masks
 * (required literals for the prefilter, sample names for warnings). Matching
 * itself is always done by re2js. When this reader meets anything it does not
 * fully understand it throws `MaskSyntaxUnsupported`, and callers fall back to
 * "no knowledge" (run the regex on every name), which is always correct.
 */

export type MaskNode =
  /** One code point; `fold` when `(?i)` is in effect. */
  | { t: 'lit'; ch: string; fold: boolean }
  /**
   * Any single code point from a set (`.`, `[...]`, `\d`, ...): `source` is its
   * text as written, `fold` when `(?i)` applies, `dotAll` when `(?s)` applies.
   */
  | { t: 'class'; source: string; dot: boolean; fold: boolean; dotAll: boolean }
  /** A zero-width assertion. `bot`/`eot`: start/end of text; `bol`/`eol`: of line; `word`: `\b` `\B`. */
  | { t: 'assert'; kind: 'bot' | 'eot' | 'bol' | 'eol' | 'word' }
  | { t: 'cat'; items: MaskNode[] }
  | { t: 'alt'; items: MaskNode[] }
  | { t: 'group'; node: MaskNode; name?: string }
  /** `lazy` when the repetition prefers fewer iterations (`*?`, or greedy under `(?U)`). */
  | { t: 'rep'; node: MaskNode; min: number; max: number; lazy: boolean };

export class MaskSyntaxUnsupported extends Error {}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const PERL_CLASSES = new Set(['d', 'D', 's', 'S', 'w', 'W']);
const CONTROL_ESCAPES: Record<string, string> = { a: '\x07', f: '\f', t: '\t', n: '\n', r: '\r', v: '\v' };
const MAX_REPEAT = 1000;
const REPEAT_COUNT = /\{(\d+)(,(\d*))?\}/y;
/** Characters `parseAtom` reads as syntax; any other (below the surrogates) is a literal. */
const SPECIAL = new Set(['(', '[', '.', '^', '$', '\\', '*', '+', '?']);

/** Parses an RE2 mask (already accepted by re2js) into a `MaskNode` tree. */
export function parseMask(mask: string): MaskNode {
  const parser = new Parser(mask);
  const node = parser.parseAlternation();
  if (parser.pos !== mask.length) throw new MaskSyntaxUnsupported(`unexpected ${mask[parser.pos]}`);
  return node;
}

class Parser {
  pos = 0;
  private flags: Flags = { i: false, m: false, s: false, U: false };

  constructor(private readonly src: string) {}

  parseAlternation(): MaskNode {
    const branches: MaskNode[] = [this.parseConcat()];
    while (this.src[this.pos] === '|') {
      this.pos++;
      branches.push(this.parseConcat());
    }
    return branches.length === 1 ? branches[0]! : { t: 'alt', items: branches };
  }

  private parseConcat(): MaskNode {
    const items: MaskNode[] = [];
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === '|' || c === ')') break;
      if (!SPECIAL.has(c) && c < '\ud800') {
        // a plain character, as parseAtom reads it, without its one-atom list
        this.pos++;
        items.push(this.lit(c));
        this.parseRepetitions(items);
        continue;
      }
      const atoms = this.parseAtom();
      for (let k = 0; k < atoms.length; k++) items.push(atoms[k]!);
      if (atoms.length > 0) this.parseRepetitions(items);
    }
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  private parseRepetitions(items: MaskNode[]): void {
    for (;;) {
      const bounds = this.readRepeat();
      if (!bounds) return;
      const last = items.pop();
      if (!last || last.t === 'assert') throw new MaskSyntaxUnsupported('repetition of nothing');
      let lazy = this.flags.U;
      if (this.src[this.pos] === '?') {
        this.pos++;
        lazy = !lazy;
      }
      items.push({ t: 'rep', node: last, min: bounds.min, max: bounds.max, lazy });
    }
  }

  private readRepeat(): { min: number; max: number } | undefined {
    const c = this.src[this.pos];
    if (c === '*') return this.advance(1, { min: 0, max: Infinity });
    if (c === '+') return this.advance(1, { min: 1, max: Infinity });
    if (c === '?') return this.advance(1, { min: 0, max: 1 });
    if (c !== '{') return undefined;
    REPEAT_COUNT.lastIndex = this.pos;
    const m = REPEAT_COUNT.exec(this.src);
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (min > MAX_REPEAT || (max !== Infinity && (max > MAX_REPEAT || max < min))) {
      throw new MaskSyntaxUnsupported('bad repeat count');
    }
    return this.advance(m[0].length, { min, max });
  }

  private advance<T>(n: number, value: T): T {
    this.pos += n;
    return value;
  }

  /** One atom, or several literals for `\Q...\E`, or none for a flag group `(?i)`. */
  private parseAtom(): MaskNode[] {
    const c = this.src[this.pos]!;
    switch (c) {
      case '(':
        return this.parseGroup();
      case '[':
        return [this.parseClass()];
      case '.':
        this.pos++;
        return [this.cls('.', true)];
      case '^':
        this.pos++;
        return [{ t: 'assert', kind: this.flags.m ? 'bol' : 'bot' }];
      case '$':
        this.pos++;
        return [{ t: 'assert', kind: this.flags.m ? 'eol' : 'eot' }];
      case '\\':
        return this.parseEscape();
      case '*':
      case '+':
      case '?':
        throw new MaskSyntaxUnsupported('missing argument to repetition');
      default: {
        const ch = String.fromCodePoint(this.src.codePointAt(this.pos)!);
        this.pos += ch.length;
        return [this.lit(ch)];
      }
    }
  }

  private lit(ch: string): MaskNode {
    return { t: 'lit', ch, fold: this.flags.i };
  }

  private parseGroup(): MaskNode[] {
    const rest = this.src.slice(this.pos);
    const saved = { ...this.flags };
    let name: string | undefined;
    const named = /^\(\?P?<([A-Za-z0-9_]+)>/.exec(rest);
    if (named) {
      name = named[1];
      this.pos += named[0].length;
    } else if (rest.startsWith('(?')) {
      const m = /^\(\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
      if (!m) throw new MaskSyntaxUnsupported('unknown group syntax');
      this.pos += m[0].length;
      const next: Flags = { ...this.flags };
      for (const f of m[1] ?? '') next[f as keyof Flags] = true;
      for (const f of m[2] ?? '') next[f as keyof Flags] = false;
      if (m[3] === ')') {
        this.flags = next;
        return [];
      }
      this.flags = next;
      const inner = this.parseAlternation();
      this.expect(')');
      this.flags = saved;
      return [{ t: 'group', node: inner }];
    } else {
      this.pos++;
    }
    const inner = this.parseAlternation();
    this.expect(')');
    this.flags = saved;
    return [name === undefined ? { t: 'group', node: inner } : { t: 'group', node: inner, name }];
  }

  private expect(c: string): void {
    if (this.src[this.pos] !== c) throw new MaskSyntaxUnsupported(`expected ${c}`);
    this.pos++;
  }

  private parseClass(): MaskNode {
    const start = this.pos;
    this.pos++;
    const negated = this.src[this.pos] === '^';
    if (negated) this.pos++;
    const bodyStart = this.pos;
    let first = true;
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) throw new MaskSyntaxUnsupported('unclosed class');
      if (c === ']' && !first) break;
      first = false;
      if (c === '[' && this.src[this.pos + 1] === ':') {
        const end = this.src.indexOf(':]', this.pos + 2);
        if (end === -1) throw new MaskSyntaxUnsupported('bad POSIX class');
        this.pos = end + 2;
      } else if (c === '\\') {
        this.skipClassEscape();
      } else {
        this.pos += String.fromCodePoint(this.src.codePointAt(this.pos)!).length;
      }
    }
    const body = this.src.slice(bodyStart, this.pos);
    this.pos++;
    const source = this.src.slice(start, this.pos);
    const single = negated ? undefined : singleClassChar(body);
    if (single !== undefined) return this.lit(single);
    return this.cls(source, false);
  }

  private cls(source: string, dot: boolean): MaskNode {
    return { t: 'class', source, dot, fold: this.flags.i, dotAll: this.flags.s };
  }

  private skipClassEscape(): void {
    const e = this.src[this.pos + 1];
    if (e === undefined) throw new MaskSyntaxUnsupported('trailing backslash');
    if (e === 'Q') throw new MaskSyntaxUnsupported('\\Q in class');
    if (e === 'p' || e === 'P') {
      this.pos += 2;
      this.skipUnicodeClassName();
    } else if (e === 'x') {
      this.pos += 2;
      this.readHex();
    } else {
      this.pos += 1 + String.fromCodePoint(this.src.codePointAt(this.pos + 1)!).length;
    }
  }

  private skipUnicodeClassName(): void {
    if (this.src[this.pos] === '{') {
      const end = this.src.indexOf('}', this.pos);
      if (end === -1) throw new MaskSyntaxUnsupported('bad \\p');
      this.pos = end + 1;
    } else {
      this.pos += 1;
    }
  }

  private readHex(): string {
    if (this.src[this.pos] === '{') {
      const end = this.src.indexOf('}', this.pos);
      const hex = this.src.slice(this.pos + 1, end);
      if (end === -1 || !/^[0-9A-Fa-f]{1,6}$/.test(hex)) throw new MaskSyntaxUnsupported('bad \\x');
      this.pos = end + 1;
      return codePointText(parseInt(hex, 16));
    }
    const hex = this.src.slice(this.pos, this.pos + 2);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new MaskSyntaxUnsupported('bad \\x');
    this.pos += 2;
    return codePointText(parseInt(hex, 16));
  }

  private parseEscape(): MaskNode[] {
    const e = this.src[this.pos + 1];
    if (e === undefined) throw new MaskSyntaxUnsupported('trailing backslash');
    const start = this.pos;
    this.pos += 2;
    if (e === 'Q') {
      const end = this.src.indexOf('\\E', this.pos);
      const text = this.src.slice(this.pos, end === -1 ? undefined : end);
      this.pos = end === -1 ? this.src.length : end + 2;
      return Array.from(text, (ch) => this.lit(ch));
    }
    if (e === 'E') return [];
    if (e === 'A') return [{ t: 'assert', kind: 'bot' }];
    if (e === 'z') return [{ t: 'assert', kind: 'eot' }];
    if (e === 'b' || e === 'B') return [{ t: 'assert', kind: 'word' }];
    if (PERL_CLASSES.has(e) || e === 'C') return [this.cls(this.src.slice(start, this.pos), false)];
    if (e === 'p' || e === 'P') {
      this.skipUnicodeClassName();
      return [this.cls(this.src.slice(start, this.pos), false)];
    }
    if (e === 'x') return [this.lit(this.readHex())];
    const control = CONTROL_ESCAPES[e];
    if (control !== undefined) return [this.lit(control)];
    if (e.charCodeAt(0) < 0x80 && /[^0-9A-Za-z_]/.test(e)) return [this.lit(e)];
    throw new MaskSyntaxUnsupported(`escape \\${e}`);
  }
}

function codePointText(cp: number): string {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new MaskSyntaxUnsupported('bad code point');
  return String.fromCodePoint(cp);
}

/** `[.]` or `[\.]`: a class that is exactly one literal character. */
function singleClassChar(body: string): string | undefined {
  if (body.length === 0) return undefined;
  if (body.startsWith('\\')) {
    const e = body.slice(1);
    return e.length === 1 && e.charCodeAt(0) < 0x80 && /[^0-9A-Za-z_]/.test(e) ? e : undefined;
  }
  const cp = body.codePointAt(0)!;
  const ch = String.fromCodePoint(cp);
  if (ch.length !== body.length || ch === '[') return undefined;
  return ch;
}

/** Names of the mask's named groups, in order. */
export function namedGroupsOf(node: MaskNode): string[] {
  const names: string[] = [];
  const walk = (n: MaskNode): void => {
    if (n.t === 'group') {
      if (n.name !== undefined) names.push(n.name);
      walk(n.node);
    } else if (n.t === 'rep') walk(n.node);
    else if (n.t === 'cat' || n.t === 'alt') n.items.forEach(walk);
  };
  walk(node);
  return names;
}
