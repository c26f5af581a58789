import { gunzipSync, gzipSync } from 'node:zlib';
import type { Route } from '../../src/referential/types.js';
import { transformedName, type TransformName } from '../../src/storage/transform.js';

/**
 * The test's own memory of what it did, and the oracle that judges an
 * observation of the disk against it. It knows what landed, what the test
 * moved or took away, and which referentials were in effect; it does not
 * know how the router works, only what a route promises: a file is either
 * still where it landed, or at every destination of the rows that matched it
 * (one of them a move), each destination judged the same way in turn.
 */

/** What the disk holds after a step, links never followed. */
export interface Observation {
  /** PROJECT/BUCKET/KEY → bytes (hex) of every regular file under the data root. */
  files: Map<string, string>;
  /** PROJECT/BUCKET/... → target of every symlink under the data root. */
  links: Map<string, string>;
  /** Path below the outside folder → kind, bytes or target, mtime. */
  outside: Map<string, string>;
}

/** One landing: these bytes were put at `location` by a producer (or moved there by the test). */
export interface Landing {
  id: number;
  bytes: string;
  location: string;
  step: number;
  generation?: string;
}

interface ModelRoute {
  sourceBucket: string;
  sourceProject: string;
  mask: RegExp;
  destination: string;
  action: 'move' | 'copy';
  onConflict: 'fail' | 'overwrite' | 'version';
  transform?: TransformName;
  /** A group row's marker mask: a marker no row routes goes to its destination once its group is whole. */
  completeWhen?: RegExp;
}

/** What a row's transform makes of bytes (hex), as zlib's one-shot calls do; undefined: it refuses them. */
function transformed(bytes: string, transform: TransformName | undefined): string | undefined {
  const input = Buffer.from(bytes, 'hex');
  try {
    if (transform === 'gzip') return gzipSync(input).toString('hex');
    if (transform === 'gunzip') return gunzipSync(input).toString('hex');
  } catch {
    return undefined;
  }
  return transform === undefined ? bytes : undefined;
}

export class Model {
  readonly landings: Landing[] = [];
  /** A consumer took `bytes` from `location` at `step`. */
  private readonly takes: { bytes: string; location: string; step: number }[] = [];
  /** Locations taken since the last check: one taken inside a step (as while a scan routes) is free again within it. */
  private readonly takenSinceCheck = new Set<string>();
  /** Every referential that was in effect at some step. */
  private readonly referentials: ModelRoute[][] = [];
  private readonly everLanded = new Set<string>();
  /** Links the test made under the data root: PROJECT/BUCKET/... → target; targets inside the root as locations. */
  readonly links = new Map<string, { target: string; inside?: string }>();
  outsideAtStart: Map<string, string> | undefined;
  private previous: Map<string, string> | undefined;
  /** Folders where a group's marker was ever seen, or landed (within a step, as while a scan routes). */
  private readonly markerSeen = new Set<string>();
  /** Routes in effect after the last reload (none yet: undefined). */
  routesAfterReload: number | undefined;

  landed(bytes: string, location: string, step: number, generation?: string): Landing {
    const landing = {
      id: this.landings.length + 1,
      bytes,
      location,
      step,
      ...(generation ? { generation } : {}),
    };
    this.landings.push(landing);
    this.everLanded.add(bytes);
    this.noteMarker(location);
    // what a transform row may make of them, once or twice along a chain of rows
    for (const once of [transformed(bytes, 'gzip'), transformed(bytes, 'gunzip')]) {
      if (once === undefined) continue;
      this.everLanded.add(once);
      const twice = transformed(once, 'gzip');
      if (twice !== undefined) this.everLanded.add(twice);
    }
    return landing;
  }

  /**
   * A producer renamed a landed file where it is: its landing names `to`
   * now, and a marker name there is a marker landed in that folder (as in
   * `landed`), though the step may route it away before any look sees it.
   */
  renamed(landing: Landing, to: string): void {
    landing.location = to;
    this.noteMarker(to);
  }

  took(bytes: string, location: string, step: number): void {
    this.takes.push({ bytes, location, step });
    this.takenSinceCheck.add(location);
  }

  inEffect(routes: readonly Route[]): void {
    this.referentials.push(
      routes
        .filter((r) => r.enabled)
        .map((r) => ({
          sourceProject: r.sourceProject,
          sourceBucket: r.sourceBucket,
          mask: new RegExp(r.mask),
          destination: [r.destinationProject, r.destinationBucket, r.destinationDirectory]
            .filter(Boolean)
            .join('/'),
          action: r.action,
          onConflict: r.onConflict,
          ...(r.transform ? { transform: r.transform } : {}),
          ...(r.completeWhen ? { completeWhen: new RegExp(r.completeWhen) } : {}),
        })),
    );
  }

  /** Every violated invariant, one line each (empty: all hold). */
  check(obs: Observation): string[] {
    const problems: string[] = [];
    for (const l of this.landings) {
      if (this.accountedAt(l.bytes, l.location, l.step, obs, new Set())) continue;
      const found = [...obs.files].filter(([, b]) => b === l.bytes).map(([at]) => at);
      problems.push(
        `(a) lost: bytes ${l.bytes} landed at ${l.location} (step ${l.step}) are neither there nor at every destination of its routes; found at [${found.join(', ')}]`,
      );
    }
    for (const [location, bytes] of obs.files) {
      if (!this.everLanded.has(bytes))
        problems.push(`(b) ${location} holds bytes ${bytes.slice(0, 24)} that never landed`);
    }
    problems.push(...this.groupsWhole(obs));
    problems.push(...this.outsideChanges(obs));
    problems.push(...this.failOverwrites(obs));
    if (this.routesAfterReload === 0)
      problems.push('(e) a reload left the system routing by an empty referential');
    this.previous = obs.files;
    this.takenSinceCheck.clear();
    return problems;
  }

  /** Bytes at `location`, through a link the test made to a folder inside the data root. */
  bytesAt(location: string, obs: Observation): string | undefined {
    const direct = obs.files.get(location);
    if (direct !== undefined) return direct;
    for (const [link, { inside }] of this.links) {
      if (inside && location.startsWith(`${link}/`))
        return obs.files.get(inside + location.slice(link.length));
    }
    return undefined;
  }

  private holds(bytes: string, location: string, since: number, obs: Observation): boolean {
    if (this.bytesAt(location, obs) === bytes) return true;
    return this.takes.some((t) => t.bytes === bytes && t.location === location && t.step > since);
  }

  /** The bytes are at `location`, or, by some referential in effect, moved on to every destination of the rows matching there. */
  private accountedAt(
    bytes: string,
    location: string,
    since: number,
    obs: Observation,
    visited: Set<string>,
  ): boolean {
    if (this.holds(bytes, location, since, obs)) return true;
    if (visited.has(location)) return false;
    const seen = new Set(visited).add(location);
    return this.referentials.some((routes) =>
      matchings(routes, location).some(
        (matched) =>
          matched.some((r) => r.action === 'move') &&
          matched.every((r) => this.destinationAccounts(bytes, r, location, since, obs, seen)),
      ),
    );
  }

  private destinationAccounts(
    bytes: string,
    route: ModelRoute,
    source: string,
    since: number,
    obs: Observation,
    visited: Set<string>,
  ): boolean {
    const destination = `${route.destination}/${transformedName(fileName(source), route.transform)}`;
    // a transform the bytes cannot go through delivers nothing: they must still be at the source
    const output = transformed(bytes, route.transform);
    if (output === undefined) return false;
    bytes = output;
    if (this.accountedAt(bytes, destination, since, obs, visited)) return true;
    if (route.onConflict === 'version') {
      // a version a consumer took is no longer on disk: its take still counts
      const taken = this.takes.map((t) => t.location);
      return versionsOf(destination, [...obs.files.keys(), ...taken]).some((v) =>
        this.accountedAt(bytes, v, since, obs, visited),
      );
    }
    if (route.onConflict === 'overwrite') {
      // Another landed file may have replaced these bytes there, by policy;
      // a consumer may then have taken that one.
      const there = this.bytesAt(destination, obs);
      if (there !== undefined && this.everLanded.has(there)) return true;
      return this.takes.some((t) => t.location === destination && t.step > since);
    }
    return false;
  }

  /**
   * (g) A group moves whole or not at all: a member (a file every referential
   * in effect makes a member of a group) leaves the folder it landed in only
   * once a marker was there; before, it waits in place.
   */
  private groupsWhole(obs: Observation): string[] {
    for (const location of obs.files.keys()) this.noteMarker(location);
    const problems: string[] = [];
    for (const l of this.landings) {
      if (this.holds(l.bytes, l.location, l.step, obs) || this.markerSeen.has(parentOf(l.location))) continue;
      const member = this.referentials.every((routes) =>
        (matchings(routes, l.location)[0] ?? []).some(
          (r) => r.completeWhen !== undefined && r.mask.test(fileName(l.location)),
        ),
      );
      if (member)
        problems.push(
          `(g) ${l.location} (bytes ${l.bytes}, a group member) left its folder before any marker landed there`,
        );
    }
    return problems;
  }

  /** A marker at `location` (by name) counts for its folder from now on. */
  private noteMarker(location: string): void {
    if (this.isMarker(location)) this.markerSeen.add(parentOf(location));
  }

  /** A file some referential in effect takes for a group's marker. */
  private isMarker(location: string): boolean {
    return this.referentials.some((routes) => routes.some((r) => r.completeWhen?.test(fileName(location))));
  }

  private outsideChanges(obs: Observation): string[] {
    const problems: string[] = [];
    const before = this.outsideAtStart ?? new Map<string, string>();
    for (const [file, state] of before) {
      if (obs.outside.get(file) !== state)
        problems.push(`(c) outside the data root, ${file} changed: ${state} → ${obs.outside.get(file)}`);
    }
    for (const file of obs.outside.keys())
      if (!before.has(file)) problems.push(`(c) outside the data root, ${file} appeared`);
    for (const [link, { target }] of this.links) {
      if (obs.links.get(link) !== target)
        problems.push(`(c) the link ${link} → ${target} became ${obs.links.get(link) ?? 'nothing'}`);
    }
    return problems;
  }

  /** (d): a destination only `fail` rows write, outside every source bucket, never changes bytes in place. */
  private failOverwrites(obs: Observation): string[] {
    const problems: string[] = [];
    for (const [location, bytes] of this.previous ?? []) {
      const now = obs.files.get(location);
      if (now === undefined || now === bytes) continue;
      // taken meanwhile (between a scan's listing and its routing): what is there now was delivered to a free key
      if (this.takenSinceCheck.has(location)) continue;
      const writers = this.referentials.flat().filter((r) => parentOf(location) === r.destination);
      const inSource = this.referentials
        .flat()
        .some((r) => location.startsWith(`${r.sourceProject}/${r.sourceBucket}/`));
      if (writers.length && writers.every((r) => r.onConflict === 'fail') && !inSource)
        problems.push(`(d) ${location} held ${bytes} and was overwritten with ${now} under on_conflict=fail`);
    }
    return problems;
  }
}

/** The rows that route a file there: those whose mask matches it, else (a marker) the group rows whose marker mask does, delivering it as it is. */
function matchings(routes: readonly ModelRoute[], location: string): ModelRoute[][] {
  const [project, bucket] = location.split('/');
  const here = routes.filter((r) => r.sourceProject === project && r.sourceBucket === bucket);
  const name = fileName(location);
  const matched = here.filter((r) => r.mask.test(name));
  const asMarker = here.filter((r) => r.completeWhen?.test(name)).map(({ transform: _transform, ...r }) => r);
  if (matched.length === 0) return [asMarker];
  // a marker other rows also match as a file: routed by them alone (no group completed),
  // or, once its group completes, carried with the group too, under its own name
  return asMarker.length === 0 ? [matched] : [matched, [...matched, ...asMarker]];
}

function fileName(location: string): string {
  return location.slice(location.lastIndexOf('/') + 1);
}

function parentOf(location: string): string {
  return location.slice(0, location.lastIndexOf('/'));
}

/** `dir/x.csv` → every `dir/x.*` among `locations` the `version` policy may have written. */
function versionsOf(destination: string, locations: readonly string[]): string[] {
  const name = fileName(destination);
  const dot = name.lastIndexOf('.');
  const stem = `${parentOf(destination)}/${dot > 0 ? name.slice(0, dot) : name}.`;
  return [...new Set(locations)].filter((l) => l.startsWith(stem) && !l.slice(stem.length).includes('/'));
}
