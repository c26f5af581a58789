import { RE2JS } from 're2js';
import { translateToJs } from './js-translate.js';
import { LiteralScanner } from './literal-scanner.js';
import { checkMaskSyntax } from './mask-check.js';
import { analyseMask, type Literal, type MaskLiterals } from './mask-literals.js';
import { MaskSyntaxUnsupported, parseMask, type MaskNode } from './mask-syntax.js';
import type { Route, RouteMatch } from './types.js';

/**
 * Matches file names against the enabled routes of a referential with RE2
 * semantics (re2js: linear time whatever the mask), fast: one Aho–Corasick
 * pass finds which of the masks' required literals a name contains, and only
 * the routes whose literals are all there run their regex. Masks that are a
 * plain literal (`abc`, `^abc`, `\.csv$`) need no regex at all.
 */
export interface RouteMatcher {
  /** Every enabled route of that source whose mask is found in `fileName`, in file order. */
  match(sourceProject: string, sourceBucket: string, fileName: string): readonly RouteMatch[];
}

interface CompiledRoute {
  route: Route;
  mask: CompiledMask;
  /** Literal ids; each inner list must have one id present. The first one is the index key. */
  requirements: number[][];
}

type ExecResult = Array<string | undefined> & { groups?: Record<string, string | undefined> };

/**
 * One mask compiled for matching. The mask is checked by re2js' parser (every
 * RE2 syntax and size error is found there; once per mask shape, see
 * mask-check.ts) and its named groups read; the
 * rest is built when first needed: its literals when a matcher indexes it,
 * its JavaScript translation or else its re2js program when it first runs
 * (a program weighs kilobytes; building them all was most of the time and
 * memory of validating 50,000 rows, and most rows never run).
 */
export class CompiledMask {
  readonly groupNames: string[];
  private readonly mask: string;
  /** Whether the analyser reads the mask (else: no literals, no translation). */
  private readonly readable: boolean;
  private analysed: MaskLiterals | undefined;
  private runner: RegExp | RE2JS | undefined;

  constructor(mask: string) {
    this.mask = mask;
    const syntax = checkMaskSyntax(mask);
    this.readable = syntax.readable;
    if (syntax.readable) {
      this.groupNames = [...syntax.groupNames];
    } else {
      this.runner = RE2JS.compile(mask);
      this.groupNames = Object.keys(this.runner.namedGroups());
    }
  }

  /** The literals every match contains (none known when the analyser does not read the mask). */
  get literals(): MaskLiterals {
    return (this.analysed ??= this.readable ? analyseMask(parseMask(this.mask)) : { requirements: [] });
  }

  /**
   * Reads the mask's tree once for `use` (to build a sample of it, say);
   * with `keepLiterals`, its literals are taken from the same reading.
   * Undefined when the analyser does not read the mask.
   */
  withTree<T>(use: (node: MaskNode) => T, keepLiterals = false): T | undefined {
    if (!this.readable) return undefined;
    const node = parseMask(this.mask);
    if (keepLiterals) this.analysed ??= analyseMask(node);
    return use(node);
  }

  /** The same mask as a JavaScript RegExp, when that is provably equivalent and linear. */
  get js(): RegExp | undefined {
    const runner = this.run();
    return runner instanceof RegExp ? runner : undefined;
  }

  /** The re2js program (RE2 semantics). */
  get regex(): RE2JS {
    const runner = this.run();
    return runner instanceof RE2JS ? runner : RE2JS.compile(this.mask);
  }

  test(name: string): boolean {
    return (this.runner ?? this.run()).test(name);
  }

  exec(name: string): ExecResult | null {
    return (this.runner ?? this.run()).exec(name) as ExecResult | null;
  }

  private run(): RegExp | RE2JS {
    if (this.runner === undefined) {
      const js = this.readable ? translateToJs(parseMask(this.mask)) : undefined;
      this.runner = js ?? RE2JS.compile(this.mask);
    }
    return this.runner;
  }
}

const MASK_CACHE_LIMIT = 50_000;
const maskCache = new Map<string, CompiledMask>();

/**
 * Compiles one mask for matching (throws re2js' syntax error on an invalid
 * mask). Compiled masks are immutable and shared (validation and matching of
 * one referential compile each mask once).
 */
export function compileMask(mask: string): CompiledMask {
  let compiled = maskCache.get(mask);
  if (!compiled) {
    compiled = new CompiledMask(mask);
    if (maskCache.size >= MASK_CACHE_LIMIT) maskCache.clear();
    maskCache.set(mask, compiled);
  }
  return compiled;
}

/** A mask's RE2 `test`, by its JavaScript translation when there is one. */
export function maskTester(mask: string): (name: string) => boolean {
  const compiled = compileMask(mask);
  return (name) => compiled.test(name);
}

/** The mask's literal facts, or none when the analyser does not understand the mask. */
export function literalsOf(mask: string): MaskLiterals {
  try {
    return analyseMask(parseMask(mask));
  } catch (error) {
    if (error instanceof MaskSyntaxUnsupported) return { requirements: [] };
    throw error;
  }
}

/**
 * The rows of one source bucket. Nothing is compiled until the first name of
 * that bucket is matched: a scan of one bucket builds one automaton, not one
 * per bucket of the referential.
 */
class BucketMatcher {
  private readonly pending: Route[] = [];
  private sealed = false;
  private readonly routes: CompiledRoute[] = [];
  private readonly literalIds = new Map<string, number>();
  private readonly literals: Literal[] = [];
  private scanner!: LiteralScanner;
  private byLiteral: number[][] = [];
  private always: number[] = [];
  private seen = new Int32Array(0);
  private routeSeen = new Int32Array(0);
  private stamp = 0;
  /** Scratch space of `match`, sized once: each literal and each route at most once per name. */
  private found = new Int32Array(0);
  private candidates = new Int32Array(0);

  add(route: Route): void {
    this.pending.push(route);
  }

  private compile(route: Route): void {
    const mask = compileMask(route.mask);
    const requirements = mask.literals.requirements.map((req) => req.map((l) => this.literalId(l)));
    this.routes.push({ route, mask, requirements });
  }

  private literalId(l: Literal): number {
    const key = `${l.folded ? 'i' : 's'}${l.text}`;
    let id = this.literalIds.get(key);
    if (id === undefined) {
      id = this.literals.length;
      this.literals.push(l);
      this.literalIds.set(key, id);
    }
    return id;
  }

  private seal(): void {
    this.sealed = true;
    for (const route of this.pending) this.compile(route);
    this.pending.length = 0;
    this.scanner = new LiteralScanner(this.literals);
    this.byLiteral = this.literals.map(() => []);
    this.routes.forEach((r, index) => {
      const key = r.requirements[0];
      if (!key) this.always.push(index);
      else for (const id of new Set(key)) this.byLiteral[id]!.push(index);
    });
    this.seen = new Int32Array(this.literals.length);
    this.routeSeen = new Int32Array(this.routes.length);
    this.found = new Int32Array(this.literals.length);
    this.candidates = new Int32Array(this.routes.length);
  }

  /** Every route whose mask is found in `name`, in order; `except` is skipped before its mask runs. */
  match(name: string, except?: Route): readonly RouteMatch[] {
    if (!this.sealed) this.seal();
    const stamp = this.nextStamp();
    const { found, candidates, routeSeen } = this;
    const foundCount = this.scanner.scan(name, this.seen, stamp, found);
    let count = 0;
    for (let f = 0; f < foundCount; f++) {
      const list = this.byLiteral[found[f]!]!;
      for (let k = 0; k < list.length; k++) {
        const index = list[k]!;
        if (routeSeen[index] !== stamp) {
          routeSeen[index] = stamp;
          candidates[count++] = index;
        }
      }
    }
    for (const index of this.always) candidates[count++] = index;
    if (count > 1) sortSmall(candidates, count);
    let out: RouteMatch[] | undefined;
    for (let c = 0; c < count; c++) {
      const r = this.routes[candidates[c]!]!;
      if (r.route === except || !this.requirementsHold(r, stamp)) continue;
      const m = evaluate(r, name);
      if (m) (out ??= []).push(m);
    }
    // most names match no row: they share one empty answer
    return out ?? NO_MATCH;
  }

  private requirementsHold(r: CompiledRoute, stamp: number): boolean {
    const reqs = r.requirements;
    for (let q = 1; q < reqs.length; q++) {
      const ids = reqs[q]!;
      let ok = false;
      for (let k = 0; k < ids.length && !ok; k++) ok = this.seen[ids[k]!] === stamp;
      if (!ok) return false;
    }
    return true;
  }

  private nextStamp(): number {
    if (this.stamp === 0x7fffffff) {
      this.seen.fill(0);
      this.routeSeen.fill(0);
      this.stamp = 0;
    }
    return ++this.stamp;
  }
}

const NO_GROUPS: Record<string, string | undefined> = Object.freeze({});
const NO_MATCH: readonly RouteMatch[] = Object.freeze([]);

function evaluate(r: CompiledRoute, name: string): RouteMatch | undefined {
  const { literals, groupNames } = r.mask;
  const exact = literals.exact;
  if (exact) {
    const ok =
      exact.start && exact.end
        ? name === exact.text
        : exact.start
          ? name.startsWith(exact.text)
          : exact.end
            ? name.endsWith(exact.text)
            : name.includes(exact.text);
    return ok ? { route: r.route, groups: {} } : undefined;
  }
  if (groupNames.length === 0) return r.mask.test(name) ? { route: r.route, groups: {} } : undefined;
  const result = r.mask.exec(name);
  if (!result) return undefined;
  const groups: Record<string, string> = {};
  const found = result.groups ?? NO_GROUPS;
  for (const g of groupNames) groups[g] = found[g] ?? '';
  return { route: r.route, groups };
}

/** Sorts the first `length` entries (few: the candidate rows of one name). */
function sortSmall(a: Int32Array, length: number): void {
  for (let i = 1; i < length; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/** Builds the matcher for the enabled routes (disabled routes never match). */
export function compileMatcher(routes: readonly Route[]): RouteMatcher {
  const byProject = new Map<string, Map<string, BucketMatcher>>();
  for (const route of routes) {
    if (!route.enabled) continue;
    let buckets = byProject.get(route.sourceProject);
    if (!buckets) byProject.set(route.sourceProject, (buckets = new Map()));
    let bucket = buckets.get(route.sourceBucket);
    if (!bucket) buckets.set(route.sourceBucket, (bucket = new BucketMatcher()));
    bucket.add(route);
  }
  return {
    match(sourceProject, sourceBucket, fileName) {
      const bucket = byProject.get(sourceProject)?.get(sourceBucket);
      return bucket ? bucket.match(fileName) : NO_MATCH;
    },
  };
}

/**
 * Matches names against one group of routes, whatever their source bucket or
 * `enabled` (validation's search for rows whose masks share a name); `except`
 * is left out before its mask runs, so a row's own sample runs no regex of it.
 */
export function compileGroupMatcher(routes: readonly Route[]): {
  match(name: string, except?: Route): readonly RouteMatch[];
} {
  const group = new BucketMatcher();
  for (const route of routes) group.add(route);
  return { match: (name, except) => group.match(name, except) };
}

/** The reference matcher: every enabled route's regex run on every name. Slow; for tests. */
export function compileNaiveMatcher(routes: readonly Route[]): RouteMatcher {
  const compiled = routes
    .filter((r) => r.enabled)
    .map((route) => {
      const regex = RE2JS.compile(route.mask);
      return { route, regex, groupNames: Object.keys(regex.namedGroups()) };
    });
  return {
    match(sourceProject, sourceBucket, fileName) {
      const out: RouteMatch[] = [];
      for (const c of compiled) {
        if (c.route.sourceProject !== sourceProject || c.route.sourceBucket !== sourceBucket) continue;
        const result = c.regex.exec(fileName) as ExecResult | null;
        if (!result) continue;
        const groups: Record<string, string> = {};
        for (const g of c.groupNames) groups[g] = result.groups?.[g] ?? '';
        out.push({ route: c.route, groups });
      }
      return out;
    },
  };
}
