import { KeyUnsafeError, PermanentError } from '../model/errors.js';
import type { ObjectEvent } from '../model/event.js';
import type { Referential } from '../referential/types.js';
import { assertSafeBucket, assertSafeKey } from '../model/keys.js';
import type { Location } from '../storage/types.js';

/**
 * What an event may become before anything is done with it, decided in one
 * place for the router and the intake:
 * - `admitted`: a safe bucket and key, and the project they belong to;
 * - `unsafe`: a bucket or key that could escape its bucket (invariant 4),
 *   with the source when its project is known, so the refusal can be recorded;
 * - `refused`: a safe key whose bucket no row uses, or several projects share.
 */
export type Admission =
  | { kind: 'admitted'; event: ObjectEvent & { project: string }; source: Location }
  | { kind: 'unsafe'; error: KeyUnsafeError; source?: Location }
  | { kind: 'refused'; error: PermanentError };

/** Checks the key first (an unsafe key is refused whatever its bucket), then resolves the project. */
export function admitEvent(event: ObjectEvent, referential: Referential): Admission {
  const unsafe = keyProblem(event);
  let project: string;
  try {
    project = resolveProject(event, referential);
  } catch (error) {
    if (unsafe) return { kind: 'unsafe', error: unsafe };
    if (error instanceof PermanentError) return { kind: 'refused', error };
    throw error;
  }
  const source: Location = { project, bucket: event.bucket, key: event.key };
  if (unsafe) return { kind: 'unsafe', error: unsafe, source };
  return { kind: 'admitted', event: { ...event, project }, source };
}

/**
 * The project a bucket belongs to: the one the event names, else the only
 * project whose referential rows use the bucket. Throws E_BUCKET_UNKNOWN when
 * none does and E_BUCKET_AMBIGUOUS (with the candidates) when several do.
 */
export function resolveProject(event: ObjectEvent, referential: Referential): string {
  if (event.project) return event.project;
  const candidates = referential.projectsForBucket(event.bucket);
  if (candidates.length === 1) return candidates[0] as string;
  if (candidates.length === 0) {
    throw new PermanentError(
      'E_BUCKET_UNKNOWN',
      `[switchyard] no referential row uses source bucket "${event.bucket}"`,
      { bucket: event.bucket },
    );
  }
  throw new PermanentError(
    'E_BUCKET_AMBIGUOUS',
    `[switchyard] source bucket "${event.bucket}" belongs to several projects (${candidates.join(', ')}); name one`,
    { bucket: event.bucket, candidates },
  );
}

function keyProblem(event: ObjectEvent): KeyUnsafeError | undefined {
  try {
    assertSafeBucket(event.bucket);
    assertSafeKey(event.key);
    return undefined;
  } catch (error) {
    if (error instanceof KeyUnsafeError) return error;
    throw error;
  }
}
