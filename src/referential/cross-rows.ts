import type { Problem } from '../model/errors.js';
import { compileGroupMatcher, compileMask } from './matcher.js';
import { findCommonName, sampleOfTree, unreadSample, type MaskSample } from './overlap.js';
import { deliveredName, namesDelivering, renamesFiles } from './renamed.js';
import type { Route } from './types.js';

/** Above this many pairs in one group, only each row's own sample is tried against the others. */
const MAX_PAIRS = 20_000;

/**
 * Problems between rows (enabled rows only), warnings but one:
 * - two masks of one source bucket match one name but send it to different
 *   destination projects;
 * - two rows can write the same destination key (same destination project,
 *   bucket and directory template, and a name both masks match); an error
 *   (E_CONFLICT_POLICY_MIXED) when they come from different source buckets
 *   and only one of them overwrites; E_CONFLICT (a warning: nothing is lost)
 *   when one file reaches one key by two rows with different transforms
 *   (different bytes: the router refuses that file and keeps it). With `destination_name` or a
 *   transform, two rows meet at a key when both give a common name the same
 *   new name, or when the name one row gives its sample is a name the other
 *   delivers too (witnesses, like the masks' common names: finding none
 *   proves nothing).
 * Cycles and rows into their own bucket: see routing-cycles.ts, self-routes.ts.
 */
export function crossRowProblems(routes: readonly Route[]): Problem[] {
  const enabled = routes.filter((r) => r.enabled);
  const samples = new Map<Route, MaskSample>();
  const sample = (r: Route, withLiterals = false): MaskSample => {
    let s = samples.get(r);
    if (!s) samples.set(r, (s = sampleOf(r.mask, withLiterals)));
    return s;
  };
  return overlaps(enabled, sample);
}

/**
 * The mask's sample, from one reading of the mask; `withLiterals` keeps the
 * literals the group matcher indexes it by from that same reading.
 */
function sampleOf(mask: string, withLiterals: boolean): MaskSample {
  const compiled = compileMask(mask);
  const test = (name: string): boolean => compiled.test(name);
  return compiled.withTree((node) => sampleOfTree(node, test), withLiterals) ?? unreadSample(mask, test);
}

function at(r: Route): string {
  return `${r.file}:${r.line} (${r.id})`;
}

function problem(
  r: Route,
  column: string,
  message: string,
  severity: Problem['severity'] = 'warning',
): Problem {
  return { file: r.file, line: r.line, column, message, severity };
}

function groupBy(routes: Route[], key: (r: Route) => string): Route[][] {
  const groups = new Map<string, Route[]>();
  for (const r of routes) {
    const k = key(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

function sameDestination(a: Route, b: Route): boolean {
  return (
    a.destinationProject === b.destinationProject &&
    a.destinationBucket === b.destinationBucket &&
    a.destinationDirectory === b.destinationDirectory
  );
}

/**
 * `key`: the file name both rows write, when it is not `name` (a
 * `destination_name` or a transform renamed it); `otherName`: the other
 * source file's name when the rows meet from two files (renamedOnto).
 */
type Overlap = [earlier: Route, later: Route, name: string, key?: string, otherName?: string];

/** At most this many other rows are named in one aggregated warning. */
const LISTED = 5;

type Sampler = (r: Route, withLiterals?: boolean) => MaskSample;

function overlaps(routes: Route[], sample: Sampler): Problem[] {
  const projectClashes: Overlap[] = [];
  const keyClashes: Overlap[] = [];
  const bySource = groupBy(routes, (r) => `${r.sourceProject}\u0000${r.sourceBucket}`);
  for (const group of bySource) {
    const relevant = (a: Route, b: Route): boolean =>
      a.destinationProject !== b.destinationProject || sameDestination(a, b);
    for (const o of commonNames(group, relevant, sample)) {
      if (o[0].destinationProject !== o[1].destinationProject) projectClashes.push(o);
      else keyClashes.push(...sameKey(o));
    }
  }
  const byDestination = groupBy(
    routes,
    (r) => `${r.destinationProject}\u0000${r.destinationBucket}\u0000${r.destinationDirectory}`,
  );
  for (const group of byDestination) {
    const differentSource = (a: Route, b: Route): boolean =>
      a.sourceProject !== b.sourceProject || a.sourceBucket !== b.sourceBucket;
    const found = commonNames(group, differentSource, sample).flatMap(sameKey);
    keyClashes.push(...found, ...renamedOnto(group, sample, found));
  }
  return [
    ...aggregate(projectClashes, projectWarning, 'with another destination project'),
    ...aggregate(keyClashes, sameKeyWarning, 'writing the same keys'),
  ];
}

/** One warning per later row: the first overlap in full, the others counted and listed. */
function aggregate(overlaps: Overlap[], describe: (o: Overlap) => Problem, what: string): Problem[] {
  const byLater = new Map<Route, Overlap[]>();
  for (const o of overlaps) {
    const list = byLater.get(o[1]);
    if (list) list.push(o);
    else byLater.set(o[1], [o]);
  }
  return [...byLater.values()].map((list) => {
    const p = describe(list[0]!);
    const others = list.slice(1).map((o) => `${o[0].file}:${o[0].line}`);
    if (others.length > 0) {
      const shown = others.slice(0, LISTED).join(', ') + (others.length > LISTED ? ', ...' : '');
      p.message += `; also ${others.length} other row(s) ${what}: ${shown}`;
    }
    return p;
  });
}

function projectWarning([a, b, name]: Overlap): Problem {
  return problem(
    b,
    'source_file_mask',
    `this mask and the one at ${at(a)} both match ${JSON.stringify(name)} in ${b.sourceProject}/${b.sourceBucket} but send it to different projects: expected one destination project, got ${a.destinationProject} and ${b.destinationProject}`,
  );
}

function sameKeyWarning([a, b, name, renamed, otherName]: Overlap): Problem {
  const dir = b.destinationDirectory.replace(/^\/+|\/+$/g, '');
  const key = `${b.destinationProject}/${b.destinationBucket}/${dir ? `${dir}/` : ''}${renamed ?? name}`;
  const sameSource = a.sourceProject === b.sourceProject && a.sourceBucket === b.sourceBucket;
  const why =
    renamed === undefined
      ? `both masks match ${JSON.stringify(name)}`
      : otherName === undefined
        ? `a file ${JSON.stringify(name)} is written as ${JSON.stringify(renamed)}`
        : `a file ${JSON.stringify(name)} is written as ${JSON.stringify(renamed)}, as is a file ${JSON.stringify(otherName)}`;
  const from = sameSource
    ? `both from ${b.sourceProject}/${b.sourceBucket}`
    : `from ${a.sourceProject}/${a.sourceBucket} and ${b.sourceProject}/${b.sourceBucket}`;
  // One file, one key, two transforms: different bytes for one key, which the
  // router refuses for every such file (router/plan.ts, E_CONFLICT).
  if (sameSource && otherName === undefined && (a.transform ?? 'none') !== (b.transform ?? 'none')) {
    return problem(
      b,
      'transform',
      `E_CONFLICT: this row and the one at ${at(a)} write one file to the same key ${key} (${from}, ${why}) with different bytes (transform ${b.transform ?? 'none'} and ${a.transform ?? 'none'}): the router refuses such a file (the source kept, dead-lettered); expected the same transform, or distinct destinations`,
    );
  }
  // Files from two sources meeting at one key: an overwrite row would replace
  // what the other row keeps (a file of one source bucket is one delivery per
  // key, by the strictest policy: router/plan.ts).
  if (!sameSource && (a.onConflict === 'overwrite') !== (b.onConflict === 'overwrite')) {
    return problem(
      b,
      'on_conflict',
      `E_CONFLICT_POLICY_MIXED: this row and the one at ${at(a)} can write the same key ${key} (${from}, ${why}) with on_conflict ${b.onConflict} and ${a.onConflict}: an overwrite would replace what the other row delivered; expected the same on_conflict, or distinct destinations`,
      'error',
    );
  }
  return problem(
    b,
    'destination_directory',
    `this row and the one at ${at(a)} can write the same key ${key} (${from}, ${why}): expected distinct destinations`,
  );
}

/**
 * A common name of two rows with one destination directory is a common key
 * when both deliver it under one name: always when neither renames (no
 * `destination_name`, no transform); otherwise when the names they give it
 * (destination_name, then the transform's extension) agree.
 */
function sameKey(o: Overlap): Overlap[] {
  const [a, b, name] = o;
  if (!renamesFiles(a) && !renamesFiles(b)) return [o];
  const delivered = deliveredName(a, name);
  if (delivered === undefined || delivered !== deliveredName(b, name)) return [];
  return [delivered === name ? o : [a, b, name, delivered]];
}

/**
 * Pairs of one destination directory where a renaming row's sample, renamed
 * (by `destination_name` or a transform), is a name the other row delivers
 * too, from another file: a name it turns into that one by its transform
 * alone, or its own sample renamed alike. Two different source files meet at
 * one key. Pairs already `found` are left out; groups over MAX_PAIRS pairs
 * are not searched.
 */
function renamedOnto(group: Route[], sample: Sampler, found: Overlap[]): Overlap[] {
  const renaming = group.filter(renamesFiles);
  if (renaming.length === 0 || renaming.length * group.length > MAX_PAIRS) return [];
  const order = new Map(group.map((r, i) => [r, i]));
  const seen = new Set(found.map(([a, b]) => `${order.get(a)}:${order.get(b)}`));
  const out: Overlap[] = [];
  for (const r of renaming) {
    const input = sample(r).text;
    const renamed = deliveredName(r, input);
    if (renamed === undefined) continue;
    for (const other of group) {
      if (other === r) continue;
      const candidates =
        other.destinationName === undefined ? namesDelivering(other, renamed) : [sample(other).text];
      // one name in one bucket is one file: the masks' common names (commonNames) cover it
      const oneBucket = r.sourceProject === other.sourceProject && r.sourceBucket === other.sourceBucket;
      const otherInput = candidates.find(
        (c) => !(oneBucket && c === input) && deliveredName(other, c) === renamed,
      );
      if (otherInput === undefined) continue;
      const [a, b] = order.get(other)! < order.get(r)! ? [other, r] : [r, other];
      const pairKey = `${order.get(a)}:${order.get(b)}`;
      if (seen.has(pairKey)) continue;
      seen.add(pairKey);
      out.push(a === r ? [a, b, input, renamed, otherInput] : [a, b, otherInput, renamed, input]);
    }
  }
  return out;
}

/** Pairs (earlier, later) of a group whose masks share a name, with that name. */
function commonNames(group: Route[], relevant: (a: Route, b: Route) => boolean, sample: Sampler): Overlap[] {
  const found: Overlap[] = [];
  const pairs = (group.length * (group.length - 1)) / 2;
  if (pairs <= MAX_PAIRS) {
    for (let j = 1; j < group.length; j++) {
      for (let i = 0; i < j; i++) {
        const a = group[i]!;
        const b = group[j]!;
        if (!relevant(a, b)) continue;
        const name = findCommonName(sample(a), sample(b));
        if (name !== undefined) found.push([a, b, name]);
      }
    }
    return found;
  }
  const order = new Map(group.map((r, i) => [r, i]));
  for (const r of group) sample(r, true);
  const matcher = compileGroupMatcher(group);
  const seen = new Set<string>();
  group.forEach((r, i) => {
    const name = sample(r).text;
    for (const m of matcher.match(name, r)) {
      const other = m.route;
      const [a, b] = order.get(other)! < i ? [other, r] : [r, other];
      const pairKey = `${order.get(a)}:${order.get(b)}`;
      if (seen.has(pairKey) || !relevant(a, b)) continue;
      seen.add(pairKey);
      found.push([a, b, name]);
    }
  });
  return found;
}
