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
    const trie = buildTrie(foldedTexts, (c) => this.classOf(c), this.classes);
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

/**
 * The literals' trie: one map of edges (`state * classes + class` → child)
 * and the literal ids ending at each state, instead of a map and a list per
 * state (a 5,000-row bucket has ~100,000 states).
 */
interface Trie {
  states: number;
  edges: Map<number, number>;
  terminal: Map<number, number[]>;
}

function buildTrie(texts: string[], classOf: (code: number) => number, classes: number): Trie {
  const trie: Trie = { states: 1, edges: new Map(), terminal: new Map() };
  texts.forEach((text, id) => {
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const edge = state * classes + classOf(text.charCodeAt(i));
      let child = trie.edges.get(edge);
      if (child === undefined) {
        child = trie.states++;
        trie.edges.set(edge, child);
      }
      state = child;
    }
    const ids = trie.terminal.get(state);
    if (ids) ids.push(id);
    else trie.terminal.set(state, [id]);
  });
  return trie;
}

/**
 * Aho–Corasick over the trie: `delta` (dense, every state × class) and each
 * state's output literals (its own, then its failure state's), breadth first
 * so a failure state is always complete before the states that fail to it.
 */
function buildAutomaton(
  trie: Trie,
  classes: number,
): { delta: Int32Array; outStart: Int32Array; outIds: Int32Array } {
  const { states } = trie;
  const kids = childrenOf(trie, classes);
  const delta = new Int32Array(states * classes);
  const fail = new Int32Array(states);
  const order = new Int32Array(states);
  let tail = 1;
  for (let k = kids.start[0]!; k < kids.start[1]!; k += 2) {
    delta[kids.pairs[k]!] = kids.pairs[k + 1]!;
    order[tail++] = kids.pairs[k + 1]!;
  }
  for (let head = 1; head < tail; head++) {
    const state = order[head]!;
    const row = state * classes;
    const failRow = fail[state]! * classes;
    // a state goes where its failure state goes, except along its own edges
    delta.copyWithin(row, failRow, failRow + classes);
    for (let k = kids.start[state]!; k < kids.start[state + 1]!; k += 2) {
      const cls = kids.pairs[k]!;
      const child = kids.pairs[k + 1]!;
      fail[child] = delta[failRow + cls]!;
      delta[row + cls] = child;
      order[tail++] = child;
    }
  }
  return { delta, ...outputsOf(trie, fail, order) };
}

/** Each state's edges as (class, child) pairs, laid out by state. */
function childrenOf(trie: Trie, classes: number): { start: Int32Array; pairs: Int32Array } {
  const start = new Int32Array(trie.states + 1);
  for (const edge of trie.edges.keys()) start[Math.floor(edge / classes) + 1]! += 2;
  for (let s = 0; s < trie.states; s++) start[s + 1]! += start[s]!;
  const next = start.slice(0, trie.states);
  const pairs = new Int32Array(trie.edges.size * 2);
  for (const [edge, child] of trie.edges) {
    const state = Math.floor(edge / classes);
    pairs[next[state]!++] = edge - state * classes;
    pairs[next[state]!++] = child;
  }
  return { start, pairs };
}

/** Each state's output literal ids, laid out by state: its own ids, then its failure state's. */
function outputsOf(
  trie: Trie,
  fail: Int32Array,
  order: Int32Array,
): { outStart: Int32Array; outIds: Int32Array } {
  const { states, terminal } = trie;
  const count = new Int32Array(states);
  count[0] = terminal.get(0)?.length ?? 0;
  for (let k = 1; k < states; k++) {
    const state = order[k]!;
    count[state] = (terminal.get(state)?.length ?? 0) + count[fail[state]!]!;
  }
  const outStart = new Int32Array(states + 1);
  for (let s = 0; s < states; s++) outStart[s + 1] = outStart[s]! + count[s]!;
  const outIds = new Int32Array(outStart[states]!);
  for (let k = 0; k < states; k++) {
    const state = order[k]!;
    let at = outStart[state]!;
    for (const id of terminal.get(state) ?? []) outIds[at++] = id;
    const from = fail[state]!;
    if (state !== 0) outIds.copyWithin(at, outStart[from]!, outStart[from + 1]!);
  }
  return { outStart, outIds };
}
