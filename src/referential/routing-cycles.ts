import type { Problem } from '../model/errors.js';
import type { BucketIdentity } from './bucket-identity.js';
import { anchorsCompatible, maskAnchors, type MaskAnchors } from './mask-anchors.js';
import { deliveredAnchors } from './renamed.js';
import { stronglyConnected } from './scc.js';
import type { Route } from './types.js';

/** Compatibility checks tried for one row before its edge is taken as travelable. */
const CHECKS_PER_ROW = 64;
/** Rounds of pruning edges no file can travel on; what remains after them counts. */
const ROUNDS = 4;

interface Edge {
  route: Route;
  from: number;
  to: number;
  /** Read when first needed: only edges inside a cycle are ever compared. */
  anchors?: MaskAnchors;
}

function anchorsOf(e: Edge): MaskAnchors {
  return (e.anchors ??= maskAnchors(e.route.mask));
}

/**
 * What the names a row delivers are known to start and end with: its mask's
 * anchors, or the literal ends of its `destination_name`, renamed by its
 * transform (renamed.ts).
 */
function arrivingOf(e: Edge): MaskAnchors {
  if (!e.route.transform && e.route.destinationName === undefined) return anchorsOf(e);
  return deliveredAnchors(e.route, anchorsOf(e));
}

export interface CycleReport {
  problems: Problem[];
  /** Edges visited plus mask comparisons made: stays proportional to the rows. */
  work: number;
}

/**
 * Routing cycles between buckets (enabled rows; a row into its own bucket is
 * `selfRouteProblems`' business). Buckets are nodes, rows are edges; a row
 * can carry a file on only if some row leaving its destination, inside the
 * cycle, may match the same name (anchored literals that differ prove it
 * cannot; otherwise it may). A cycle left is an error `E_ROUTING_LOOP` on
 * each of its rows unless every one sets `allow_cycle`, then a warning. A
 * row into a bucket that is a source outside any cycle keeps a warning.
 */
export function routingCycles(routes: readonly Route[], identity: BucketIdentity): CycleReport {
  const graph = buildGraph(routes, identity);
  let work = graph.edges.length;
  let edges = graph.edges;
  let component: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    component = stronglyConnected(graph.labels.length, edges);
    work += edges.length;
    const inCycle = edges.filter((e) => component[e.from] === component[e.to]);
    const pruned = travelable(inCycle, component, (n) => (work += n));
    const done = pruned.length === edges.length;
    edges = pruned;
    if (done) break;
  }
  component = stronglyConnected(graph.labels.length, edges);
  const cyclic = edges.filter((e) => component[e.from] === component[e.to]);
  const problems = [...cycleProblems(cyclic, component, graph.labels), ...chainWarnings(graph, component)];
  return { problems, work };
}

function buildGraph(
  routes: readonly Route[],
  identity: BucketIdentity,
): { edges: Edge[]; labels: string[]; sources: Map<number, Route> } {
  const index = new Map<string, number>();
  const labels: string[] = [];
  const node = (project: string, bucket: string): number => {
    const id = identity(project, bucket);
    let n = index.get(id);
    if (n === undefined) {
      n = labels.length;
      index.set(id, n);
      labels.push(`${project}/${bucket}`);
    }
    return n;
  };
  const edges: Edge[] = [];
  const sources = new Map<number, Route>();
  for (const route of routes) {
    if (!route.enabled) continue;
    const from = node(route.sourceProject, route.sourceBucket);
    if (!sources.has(from)) sources.set(from, route);
    const to = node(route.destinationProject, route.destinationBucket);
    if (from !== to) edges.push({ route, from, to });
  }
  return { edges, labels, sources };
}

/**
 * The edges (all inside cycles) that may carry a file on: some edge leaving
 * their destination in the same component may match a name they deliver.
 * A `version` row may rename what it delivers (`name.<generation>.ext`),
 * so it always may; a row with a `destination_name` is compared by the
 * literal text its template starts and ends with (none: it may).
 */
function travelable(edges: Edge[], component: number[], count: (n: number) => void): Edge[] {
  const leaving = new Map<number, Edge[]>();
  for (const e of edges) {
    const list = leaving.get(e.from);
    if (list) list.push(e);
    else leaving.set(e.from, [e]);
  }
  const indexes = new Map<number, AnchorIndex>();
  return edges.filter((e) => {
    const next = leaving.get(e.to);
    if (!next || component[e.to] !== component[e.from]) return false;
    if (e.route.onConflict === 'version') return true;
    let index = indexes.get(e.to);
    if (!index) indexes.set(e.to, (index = new AnchorIndex(next)));
    return index.mayMatch(arrivingOf(e), count);
  });
}

/** The distinct anchors of the rows leaving one bucket, looked up by prefix. */
class AnchorIndex {
  private readonly byPrefix = new Map<string, MaskAnchors[]>();
  private readonly sorted: string[];
  private readonly memo = new Map<string, boolean>();

  constructor(edges: Edge[]) {
    const seen = new Set<string>();
    for (const edge of edges) {
      const anchors = anchorsOf(edge);
      const key = `${anchors.prefix}\u0000${anchors.suffix}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const list = this.byPrefix.get(anchors.prefix);
      if (list) list.push(anchors);
      else this.byPrefix.set(anchors.prefix, [anchors]);
    }
    this.sorted = [...this.byPrefix.keys()].sort();
  }

  /** Whether some row may match a name `anchors` allows (true when unsure after a few checks). */
  mayMatch(anchors: MaskAnchors, count: (n: number) => void): boolean {
    const key = `${anchors.prefix}\u0000${anchors.suffix}`;
    let answer = this.memo.get(key);
    if (answer === undefined) {
      answer = this.search(anchors, count);
      this.memo.set(key, answer);
    }
    return answer;
  }

  private search(anchors: MaskAnchors, count: (n: number) => void): boolean {
    let checks = 0;
    for (const candidate of this.candidates(anchors.prefix)) {
      count(1);
      if (anchorsCompatible(anchors, candidate)) return true;
      if (++checks >= CHECKS_PER_ROW) return true;
    }
    return false;
  }

  /** Anchors whose prefix is a prefix of `prefix`, then those that extend it. */
  private *candidates(prefix: string): Generator<MaskAnchors> {
    for (let i = 0; i <= prefix.length; i++) yield* this.byPrefix.get(prefix.slice(0, i)) ?? [];
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]! <= prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.sorted.length && this.sorted[i]!.startsWith(prefix); i++) {
      yield* this.byPrefix.get(this.sorted[i]!) ?? [];
    }
  }
}

function cycleProblems(edges: Edge[], component: number[], labels: string[]): Problem[] {
  const byComponent = new Map<number, Edge[]>();
  for (const e of edges) {
    const c = component[e.from]!;
    const list = byComponent.get(c);
    if (list) list.push(e);
    else byComponent.set(c, [e]);
  }
  const problems: Problem[] = [];
  for (const members of byComponent.values()) {
    members.sort((a, b) =>
      a.route.file === b.route.file ? a.route.line - b.route.line : a.route.file < b.route.file ? -1 : 1,
    );
    const path = cyclePath(members[0]!, members, labels);
    const refusing = members.filter((e) => !e.route.allowCycle);
    for (const { route } of members) {
      problems.push(
        refusing.length === 0
          ? {
              file: route.file,
              line: route.line,
              column: 'allow_cycle',
              message: `row ${route.id} is part of the routing cycle ${path}, allowed by allow_cycle on each of its rows: files delivered go round again`,
              severity: 'warning',
            }
          : {
              file: route.file,
              line: route.line,
              column: route.allowCycle ? 'allow_cycle' : 'destination_bucket',
              message:
                `E_ROUTING_LOOP: row ${route.id} is part of the routing cycle ${path}: a file can be routed back to a bucket it left; ` +
                `expected no cycle, or allow_cycle true on every row of it, got ${refusing.length} row(s) without it (${refusing
                  .slice(0, 5)
                  .map((e) => `${e.route.file}:${e.route.line}`)
                  .join(', ')}${refusing.length > 5 ? ', ...' : ''})`,
              severity: 'error',
            },
      );
    }
  }
  return problems;
}

/** `a → b → a`: the shortest way back from `first`'s destination to its source, through `edges`. */
function cyclePath(first: Edge, edges: Edge[], labels: string[]): string {
  const leaving = new Map<number, Edge[]>();
  for (const e of edges) {
    const list = leaving.get(e.from);
    if (list) list.push(e);
    else leaving.set(e.from, [e]);
  }
  const previous = new Map<number, number>([[first.to, first.from]]);
  const queue = [first.to];
  for (let i = 0; i < queue.length && !previous.has(first.from); i++) {
    for (const e of leaving.get(queue[i]!) ?? []) {
      if (previous.has(e.to)) continue;
      previous.set(e.to, queue[i]!);
      queue.push(e.to);
    }
  }
  const nodes = [first.from];
  for (let n = previous.get(first.from); n !== undefined && n !== first.from; n = previous.get(n))
    nodes.push(n);
  nodes.push(first.from);
  return nodes
    .reverse()
    .map((n) => labels[n])
    .join(' → ');
}

function chainWarnings(
  graph: { edges: Edge[]; sources: Map<number, Route> },
  component: number[],
): Problem[] {
  const problems: Problem[] = [];
  for (const e of graph.edges) {
    const source = graph.sources.get(e.to);
    if (!source || component[e.from] === component[e.to]) continue;
    const r = e.route;
    problems.push({
      file: r.file,
      line: r.line,
      column: 'destination_bucket',
      message: `destination ${r.destinationProject}/${r.destinationBucket} is also a source bucket (row at ${source.file}:${source.line} (${source.id})): files delivered there will be routed again`,
      severity: 'warning',
    });
  }
  return problems;
}
