import { RE2JS } from 're2js';
import { MaskSyntaxUnsupported, parseMask, type MaskNode } from './mask-syntax.js';

/**
 * Finds a file name that two masks both match, by trying a small set of
 * plausible names built from each mask's sample (its literals, a character
 * of each class, nothing for optional parts) with the other mask's sample
 * inserted where arbitrary text may go. A name found is a real witness (both
 * regexes are run on it); finding none does not prove the masks disjoint.
 */
export interface MaskSample {
  /** Whether the mask matches a name (RE2 semantics). */
  test: (name: string) => boolean;
  /** A name the mask is meant to match. */
  text: string;
  /** Offsets in `text` where any text may be inserted, interior first. */
  slots: number[];
  /** Offsets where inserting at the start (prefix) or end (suffix) is allowed. */
  edges: { start: boolean; end: boolean };
}

export const TYPICAL_EXTENSIONS = [
  'csv',
  'json',
  'jsonl',
  'ndjson',
  'txt',
  'tsv',
  'parquet',
  'gz',
  'xml',
  'avro',
  'zip',
  'orc',
  'xlsx',
  'xls',
  'pdf',
  'tar',
  'bz2',
  'zst',
  'dat',
  'log',
];

const POOL = ['_', 'a', '0', 'x', '-', '.', 'A', ' ', 'Z', '9'];
const classChars = new Map<string, string>();

function classChar(source: string): string {
  let ch = classChars.get(source);
  if (ch === undefined) {
    ch = 'x';
    try {
      const re = RE2JS.compile(`^(?:${source})$`);
      ch = POOL.find((c) => re.test(c)) ?? ch;
    } catch {
      // keep the default
    }
    classChars.set(source, ch);
  }
  return ch;
}

function spellsExtension(items: MaskNode[], from: number): boolean {
  let text = '';
  for (let i = from; i < items.length; i++) {
    const it = items[i]!;
    if (it.t !== 'lit') break;
    text += it.ch.toLowerCase();
  }
  return TYPICAL_EXTENSIONS.some((ext) => text.startsWith(ext));
}

/** Builds a sample's text from pieces joined once (not a character at a time). */
class SampleBuilder {
  private readonly parts: string[] = [];
  /** The length of the text so far. */
  length = 0;
  slots: number[] = [];

  get text(): string {
    return this.parts.join('');
  }

  private append(piece: string): void {
    this.parts.push(piece);
    this.length += piece.length;
  }

  visit(node: MaskNode): void {
    switch (node.t) {
      case 'lit':
        this.append(node.ch);
        return;
      case 'class':
        this.append(node.dot ? '_' : classChar(node.fold ? `(?i:${node.source})` : node.source));
        return;
      case 'assert':
        return;
      case 'group':
        this.visit(node.node);
        return;
      case 'alt':
        this.visit(node.items[0]!);
        return;
      case 'rep':
        for (let i = 0; i < Math.min(node.min, 64); i++) this.visit(node.node);
        if (node.max > node.min) this.slots.push(this.length);
        return;
      case 'cat':
        node.items.forEach((item, i) => {
          if (item.t === 'class' && item.dot && spellsExtension(node.items, i + 1)) this.append('.');
          else this.visit(item);
        });
        return;
    }
  }
}

function anchoredStart(node: MaskNode): boolean {
  const first = node.t === 'cat' ? node.items[0] : node;
  return first?.t === 'assert' && first.kind === 'bot';
}

function anchoredEnd(node: MaskNode): boolean {
  const last = node.t === 'cat' ? node.items[node.items.length - 1] : node;
  return last?.t === 'assert' && last.kind === 'eot';
}

/** The sample of a valid mask (a best effort when the analyser does not read it). */
export function sampleMask(mask: string, test: (name: string) => boolean = defaultTest(mask)): MaskSample {
  let node: MaskNode;
  try {
    node = parseMask(mask);
  } catch (error) {
    if (!(error instanceof MaskSyntaxUnsupported)) throw error;
    return unreadSample(mask, test);
  }
  return sampleOfTree(node, test);
}

/** The sample of a mask the analyser read (`node`: its tree). */
export function sampleOfTree(node: MaskNode, test: (name: string) => boolean): MaskSample {
  const b = new SampleBuilder();
  b.visit(node);
  const text = b.text;
  const slots = [...new Set(b.slots)].filter((s) => s > 0 && s < text.length);
  return { test, text, slots, edges: { start: !anchoredStart(node), end: !anchoredEnd(node) } };
}

/** The sample of a mask the analyser does not read: its word characters. */
export function unreadSample(mask: string, test: (name: string) => boolean): MaskSample {
  const text = mask.replace(/\\(.)/g, '$1').replace(/[^A-Za-z0-9_.-]/g, '');
  return { test, text, slots: [], edges: { start: true, end: true } };
}

function defaultTest(mask: string): (name: string) => boolean {
  const regex = RE2JS.compile(mask);
  return (name) => regex.test(name);
}

function core(text: string): string {
  const m = /\.[A-Za-z0-9]{1,8}$/.exec(text);
  return m && m.index > 0 ? text.slice(0, m.index) : text;
}

function* insertions(host: MaskSample, guest: MaskSample): Generator<string> {
  const pieces = [core(guest.text), guest.text];
  for (const p of host.slots) {
    for (const piece of pieces) {
      for (const [l, r] of [
        ['_', ''],
        ['', ''],
        ['', '_'],
        ['_', '_'],
      ] as const) {
        yield host.text.slice(0, p) + l + piece + r + host.text.slice(p);
      }
    }
  }
  if (host.edges.start) {
    for (const piece of pieces) for (const sep of separators(piece, host.text)) yield piece + sep + host.text;
  }
  if (host.edges.end) {
    for (const piece of pieces) for (const sep of separators(host.text, piece)) yield host.text + sep + piece;
  }
}

/** `_` between two words, nothing next to punctuation (`report` + `.csv`), then the other. */
function separators(left: string, right: string): string[] {
  const word = /[A-Za-z0-9]/;
  return word.test(left.slice(-1)) && word.test(right.slice(0, 1)) ? ['_', ''] : ['', '_'];
}

/** A name both masks match, or undefined when none of the tried names does. */
export function findCommonName(a: MaskSample, b: MaskSample): string | undefined {
  const tried = new Set<string>();
  const attempt = (name: string): boolean => {
    if (tried.has(name)) return false;
    tried.add(name);
    return a.test(name) && b.test(name);
  };
  for (const name of [a.text, b.text]) if (attempt(name)) return name;
  for (const name of insertions(b, a)) if (attempt(name)) return name;
  for (const name of insertions(a, b)) if (attempt(name)) return name;
  return undefined;
}
