import type { Problem } from '../model/errors.js';
import type { BucketIdentity } from './bucket-identity.js';
import type { Route } from './types.js';

/**
 * Rows that write into their own source bucket (enabled rows only):
 * - an error `E_DESTINATION_IS_SOURCE` when the destination key can be the
 *   source key: same bucket (by `identity`, so a symlinked folder counts) and
 *   a directory that is empty or `{path}` alone. Delivering there would
 *   overwrite the source with itself, then a move deletes it;
 * - a warning when the destination is another folder of the source bucket
 *   (`landing` → `landing/archive/`): the delivered file keeps its name, so
 *   the row's mask matches it again in the source bucket.
 */
export function selfRouteProblems(routes: readonly Route[], identity: BucketIdentity): Problem[] {
  const problems: Problem[] = [];
  for (const r of routes) {
    if (!r.enabled) continue;
    const source = identity(r.sourceProject, r.sourceBucket);
    if (source !== identity(r.destinationProject, r.destinationBucket)) continue;
    const dst = `${r.destinationProject}/${r.destinationBucket}`;
    const src = `${r.sourceProject}/${r.sourceBucket}`;
    const sameName = dst === src ? '' : ` (the same folder as ${src})`;
    if (keepsKey(r.destinationDirectory)) {
      problems.push({
        file: r.file,
        line: r.line,
        column: 'destination_bucket',
        message:
          `E_DESTINATION_IS_SOURCE: row ${r.id} (${src} → ${dst}${sameName}, directory ${JSON.stringify(r.destinationDirectory)}) ` +
          'delivers a file onto itself: expected a destination other than the source location, got the same bucket and key',
        severity: 'error',
      });
    } else {
      problems.push({
        file: r.file,
        line: r.line,
        column: 'destination_directory',
        message:
          `destination ${dst}/${r.destinationDirectory.replace(/^\/+|\/+$/g, '')}/ is inside this row's source bucket${sameName}: ` +
          `delivered files keep their name, so mask ${JSON.stringify(r.mask)} matches them again there; ` +
          'routing skips keys already under the destination directory',
        severity: 'warning',
      });
    }
  }
  return problems;
}

/** An empty directory, or `{path}` alone: the destination key is the source key. */
function keepsKey(directory: string): boolean {
  const dir = directory.trim().replace(/^\/+|\/+$/g, '');
  return dir === '' || dir === '{path}';
}
