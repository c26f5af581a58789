import { foldCode, type Literal } from './mask-literals.js';

/**
 * Finds, in one pass over a name, which of a fixed set of literals it
 * contains (Aho–Corasick, as a dense automaton over the literals' folded
 * alphabet). Folded literals are found case-insensitively; case-sensitive
 * literals are confirmed against the unfolded name at the hit position.
 */
export class LiteralScanner {
  private readonly classOfAscii = new Int32Array(128);
  private readonly classOfOther = new Map<number, number>();
  private readonly classes: number;
  private readonly delta: Int32Array;
  private readonly outStart: Int32Array;
  private readonly outIds: Int32Array;
  private readonly literals: readonly Literal[];

  constructor(literals: readonly Literal[]) {
    this.literals = literals;
    const foldedTexts = literals.map((l) => foldText(l.text));
    let next = 1;
    for (const text of foldedTexts) {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c < 128) {
          if (this.classOfAscii[c] === 0) this.classOfAscii[c] = next++;
        } else if (!this.classOfOther.has(c)) {
          this.classOfOther.set(c, next++);
        }
      }
    }
    this.classes = next;
    const trie = buildTrie(foldedTexts, (c) => this.classOf(c));
    const built = buildAutomaton(trie, this.classes);
    this.delta = built.delta;
    this.outStart = built.outStart;
    this.outIds = built.outIds;
  }

  private classOf(code: number): number {
    const f = foldCode(code);
    return f < 128 ? this.classOfAscii[f]! : (this.classOfOther.get(f) ?? 0);
  }

  /**
   * Marks `seen[id] = stamp` for every literal the name contains and writes
   * each such id once into `found` (room for every literal); returns how many.
   */
  scan(name: string, seen: Int32Array, stamp: number, found: Int32Array): number {
    let count = 0;
    const { delta, outStart, outIds, classes, classOfAscii, literals } = this;
    let state = 0;
    for (let i = 0; i < name.length; i++) {
      let c = name.charCodeAt(i);
      if (c >= 65 && c <= 90) c += 32;
      const cls = c < 128 ? classOfAscii[c]! : this.classOf(c);
      if (cls === 0) {
        state = 0;
        continue;
      }
      state = delta[state * classes + cls]!;
      const from = outStart[state]!;
      const to = outStart[state + 1]!;
      for (let k = from; k < to; k++) {
        const id = outIds[k]!;
        if (seen[id] === stamp) continue;
        const l = literals[id]!;
        if (l.folded || name.startsWith(l.text, i + 1 - l.text.length)) {
          seen[id] = stamp;
          found[count++] = id;
        }
      }
    }
    return count;
  }
}

function foldText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += String.fromCharCode(foldCode(text.charCodeAt(i)));
  return out;
}

interface Trie {
  children: Array<Map<number, number>>;
  terminal: number[][];
}

function buildTrie(texts: string[], classOf: (code: number) => number): Trie {
  const trie: Trie = { children: [new Map()], terminal: [[]] };
  texts.forEach((text, id) => {
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const cls = classOf(text.charCodeAt(i));
      const children = trie.children[state]!;
      let child = children.get(cls);
      if (child === undefined) {
        child = trie.children.length;
        trie.children.push(new Map());
        trie.terminal.push([]);
        children.set(cls, child);
      }
      state = child;
    }
    trie.terminal[state]!.push(id);
  });
  return trie;
}

function buildAutomaton(
  trie: Trie,
  classes: number,
): { delta: Int32Array; outStart: Int32Array; outIds: Int32Array } {
  const states = trie.children.length;
  const delta = new Int32Array(states * classes);
  const fail = new Int32Array(states);
  const outputs: number[][] = trie.terminal.map((t) => [...t]);
  const order: number[] = [];
  for (const [cls, child] of trie.children[0]!) {
    delta[cls] = child;
    order.push(child);
  }
  for (let head = 0; head < order.length; head++) {
    const state = order[head]!;
    outputs[state]!.push(...outputs[fail[state]!]!);
    for (let cls = 1; cls < classes; cls++) {
      const child = trie.children[state]!.get(cls);
      const viaFail = delta[fail[state]! * classes + cls]!;
      if (child === undefined) {
        delta[state * classes + cls] = viaFail;
      } else {
        delta[state * classes + cls] = child;
        fail[child] = viaFail;
        order.push(child);
      }
    }
  }
  const outStart = new Int32Array(states + 1);
  let total = 0;
  for (let s = 0; s < states; s++) {
    outStart[s] = total;
    total += outputs[s]!.length;
  }
  outStart[states] = total;
  const outIds = new Int32Array(total);
  let k = 0;
  for (const list of outputs) for (const id of list) outIds[k++] = id;
  return { delta, outStart, outIds };
}
