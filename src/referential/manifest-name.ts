import { PermanentError } from '../model/errors.js';
import type { Location } from '../model/keys.js';
import type { Referential } from './types.js';

/** What every manifest's file name starts with: `_MANIFEST-<drain or group id>.json`. */
export const MANIFEST_PREFIX = '_MANIFEST-';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const NAME = /(?:^|\/)_MANIFEST-[A-Za-z0-9][A-Za-z0-9._-]{0,199}\.json$/;

/**
 * The file name of the manifest of a drain or group: its id must be one
 * plain file-name segment (letters, digits, `.`, `_`, `-`, not starting
 * with a dot, at most 200), else `E_MANIFEST_ID` naming it.
 */
export function manifestFileName(id: string): string {
  if (!ID.test(id))
    throw new PermanentError(
      'E_MANIFEST_ID',
      `[switchyard] [manifest] invalid drain or group id ${JSON.stringify(id)}: expected letters, digits, ".", "_" and "-" (at most 200, not starting with "." or "-")`,
      { id },
    );
  return `${MANIFEST_PREFIX}${id}.json`;
}

/** Whether a key's last segment has the shape of a manifest's name. */
export function isManifestKey(key: string): boolean {
  return NAME.test(key);
}

/**
 * Why an object is a manifest switchyard wrote, not to be routed again: a
 * manifest-shaped name in a bucket that a row with `write_manifest` delivers
 * to. A rescan of a destination that is also a source leaves it alone, so
 * manifests never travel in a loop. Undefined for any other object.
 */
export function writtenManifestNote(source: Location, referential: Referential): string | undefined {
  if (!isManifestKey(source.key)) return undefined;
  const writer = referential.routes.find(
    (r) =>
      r.writeManifest === true &&
      r.destinationProject === source.project &&
      r.destinationBucket === source.bucket,
  );
  return writer
    ? `a manifest written by route ${writer.id} into its destination: not routed again`
    : undefined;
}
