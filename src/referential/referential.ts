import { errorCode, errorMessage, ReferentialInvalidError, type Problem } from '../model/errors.js';
import { loadReferentialFile } from './load.js';
import { compileMatcher } from './matcher.js';
import { destinationKeyOf } from './destination-key.js';
import type { RawRow, Referential, Route } from './types.js';
import { validateRows, type ValidateOptions } from './validate.js';

/**
 * Validates and compiles rows into a `Referential`. Throws
 * `ReferentialInvalidError` (with every problem) when any error exists;
 * warnings do not prevent compiling (use `validateRows` to see them).
 */
export function compileReferential(
  rows: readonly RawRow[],
  source: string,
  options: Omit<ValidateOptions, 'source'> = {},
): Referential {
  const { routes, problems } = validateRows(rows, { ...options, source });
  if (problems.some((p) => p.severity === 'error')) throw new ReferentialInvalidError(source, problems);
  return referentialOf(routes, source);
}

/** A referential of routes `validateRows` already accepted (no problem of error severity). */
export function referentialOf(routes: readonly Route[], source: string): Referential {
  const frozen = Object.freeze(routes.map((r) => Object.freeze({ ...r })));
  const matcher = compileMatcher(frozen);
  const enabled = frozen.filter((r) => r.enabled);
  const projectsByBucket = new Map<string, string[]>();
  const sources: Array<{ project: string; bucket: string }> = [];
  const seen = new Set<string>();
  for (const r of enabled) {
    const key = `${r.sourceProject}\u0000${r.sourceBucket}`;
    if (seen.has(key)) continue;
    seen.add(key);
    sources.push({ project: r.sourceProject, bucket: r.sourceBucket });
    const list = projectsByBucket.get(r.sourceBucket);
    if (list) list.push(r.sourceProject);
    else projectsByBucket.set(r.sourceBucket, [r.sourceProject]);
  }
  return {
    source,
    routes: frozen,
    match: (project, bucket, fileName) => matcher.match(project, bucket, fileName),
    projectsForBucket: (bucket) => [...(projectsByBucket.get(bucket) ?? [])],
    sources: () => sources.map((s) => ({ ...s })),
  };
}

/**
 * Loads, validates and compiles a referential file (.csv, .yaml/.yml, .json).
 * Returns the warnings with it; throws `ReferentialInvalidError` on errors
 * (a file with no row is one).
 */
export async function loadReferential(
  path: string,
  options: Omit<ValidateOptions, 'source'> = {},
): Promise<{ referential: Referential; problems: Problem[] }> {
  const rows = await loadReferentialFile(path);
  const { routes, problems } = validateRows(rows, { ...options, source: path });
  if (problems.some((p) => p.severity === 'error')) throw new ReferentialInvalidError(path, problems);
  return { referential: referentialOf(routes, path), problems };
}

/** One matching row of `explainName`: its destination, or why none can be built. */
export interface ExplainedRoute {
  route: Route;
  groups: Record<string, string>;
  /** Expanded directory and destination key, when the template expands safely. */
  directory?: string;
  destination?: { project: string; bucket: string; key: string };
  /** Error code and message when the destination would be refused (e.g. `E_KEY_UNSAFE`). */
  error?: { code: string; message: string };
}

/** What the referential would do with an object: every matching row and its destination key. */
export function explainName(
  referential: Referential,
  project: string,
  bucket: string,
  key: string,
  created: Date,
): ExplainedRoute[] {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return referential.match(project, bucket, name).map(({ route, groups }) => {
    try {
      const destination = destinationKeyOf(route, key, created, groups);
      return {
        route,
        groups,
        directory: destination.directory,
        destination: {
          project: route.destinationProject,
          bucket: route.destinationBucket,
          key: destination.key,
        },
      };
    } catch (error) {
      return { route, groups, error: { code: errorCode(error), message: errorMessage(error) } };
    }
  });
}
