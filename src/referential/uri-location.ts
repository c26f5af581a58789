import { KeyUnsafeError, PermanentError } from '../model/errors.js';
import { parseLocation, type Location } from '../model/keys.js';
import type { ProjectConfig } from '../storage/backends.js';
import type { Referential } from './types.js';

/** The backend a URI scheme names. */
const SCHEMES: Record<string, 'gcs' | 's3'> = { gs: 'gcs', s3: 's3' };

/** Whether `text` is a `gs://…` or `s3://…` URI rather than `PROJECT/BUCKET/KEY`. */
export function isObjectUri(text: string): boolean {
  return /^(gs|s3):\/\//i.test(text);
}

/**
 * `PROJECT/BUCKET/KEY`, or `gs://BUCKET/KEY` / `s3://BUCKET/KEY` mapped to
 * the project that holds the bucket: a project of that backend (gcs for
 * `gs://`, s3 for `s3://`) declared in switchyard.yaml whose referential
 * rows name the bucket (as source or destination). No such project is
 * E_BUCKET_UNKNOWN; several are E_BUCKET_AMBIGUOUS, with the candidates
 * (write `PROJECT/BUCKET/KEY` then).
 */
export function resolveLocation(
  text: string,
  referential: Pick<Referential, 'routes'>,
  projects: Readonly<Record<string, Pick<ProjectConfig, 'backend'>>>,
): Location {
  if (!isObjectUri(text)) return parseLocation(text);
  const m = /^([a-z0-9]+):\/\/([^/]+)\/(.+)$/i.exec(text);
  if (!m) throw new KeyUnsafeError(text, 'expected gs://BUCKET/KEY or s3://BUCKET/KEY');
  const scheme = m[1]!.toLowerCase();
  const backend = SCHEMES[scheme]!;
  const bucket = m[2]!;
  const key = m[3]!;
  const named = projectsNaming(referential, bucket);
  const candidates = named.filter((p) => Object.hasOwn(projects, p) && projects[p]!.backend === backend);
  if (candidates.length === 1) return { project: candidates[0]!, bucket, key };
  const details = { location: text, bucket, backend, candidates };
  if (candidates.length === 0) {
    const others = named.length > 0 ? ` (rows name it in ${named.join(', ')}, not a ${backend} project)` : '';
    throw new PermanentError(
      'E_BUCKET_UNKNOWN',
      `[switchyard] ${text}: no ${backend} project of switchyard.yaml has bucket "${bucket}" in the referential${others}; write PROJECT/BUCKET/KEY`,
      details,
    );
  }
  throw new PermanentError(
    'E_BUCKET_AMBIGUOUS',
    `[switchyard] ${text}: bucket "${bucket}" is in several ${backend} projects (${candidates.join(', ')}); write PROJECT/BUCKET/KEY`,
    details,
  );
}

/** Projects whose referential rows name `bucket`, as source or destination, sorted. */
function projectsNaming(referential: Pick<Referential, 'routes'>, bucket: string): string[] {
  const projects = new Set<string>();
  for (const route of referential.routes) {
    if (route.sourceBucket === bucket) projects.add(route.sourceProject);
    if (route.destinationBucket === bucket) projects.add(route.destinationProject);
  }
  return [...projects].sort();
}
