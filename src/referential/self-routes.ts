import type { Problem } from '../model/errors.js';
import { transformedPrefix, transformedSuffix } from '../storage/transform.js';
import type { BucketIdentity } from './bucket-identity.js';
import { anchorsCompatible, maskAnchors } from './mask-anchors.js';
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
 * A `destination_name` that gives the name back (`{name}`, `{stem}.{ext}`)
 * keeps the key as no template does. Any other name template in the
 * source's own folder is a warning, not proof of safety: which names it
 * gives back (`{stem}` of a name without a dot, a group's value) depends on
 * the file, so the router refuses those one by one (E_DESTINATION_IS_SOURCE),
 * and a new name the mask matches again is not routed by the same row twice.
 *
 * A row with a transform renames what it delivers: into its own folder, it
 * is only a warning when its mask cannot match the renamed name (its
 * literal start and end rule it out, e.g. `\.csv$` under `gzip`); when the
 * mask may, it stays an error (the row would take its own output again).
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
    problems.push(selfRouteProblem(r, src, dst, sameName));
  }
  return problems;
}

/** The problem of one row delivering into its own source bucket (see selfRouteProblems). */
function selfRouteProblem(r: Route, src: string, dst: string, sameName: string): Problem {
  const keeps = keepsKey(r.destinationDirectory) && keepsName(r.destinationName);
  if (keeps && r.transform && !matchesOwnOutput(r)) {
    return {
      file: r.file,
      line: r.line,
      column: 'transform',
      message:
        `row ${r.id} (${src} → ${dst}${sameName}) writes its ${r.transform} output beside the source, renamed; ` +
        `mask ${JSON.stringify(r.mask)} cannot match the renamed name, so the output is not routed again`,
      severity: 'warning',
    };
  }
  if (keeps) {
    return {
      file: r.file,
      line: r.line,
      column: 'destination_bucket',
      message:
        `E_DESTINATION_IS_SOURCE: row ${r.id} (${src} → ${dst}${sameName}, directory ${JSON.stringify(r.destinationDirectory)}) ` +
        (r.transform
          ? `delivers its ${r.transform} output beside the source where its mask may match it again: ` +
            'expected a mask that cannot match the renamed name, or another destination'
          : 'delivers a file onto itself: expected a destination other than the source location, got the same bucket and key'),
      severity: 'error',
    };
  }
  if (keepsKey(r.destinationDirectory)) {
    return {
      file: r.file,
      line: r.line,
      column: 'destination_name',
      message:
        `row ${r.id} renames files in their own folder of ${src}${sameName} (name ${JSON.stringify(r.destinationName)}): ` +
        `a file whose name the template gives back is refused as delivered onto itself, and mask ${JSON.stringify(r.mask)} may match a new name again ` +
        '(the same row is not applied twice to a file it wrote, another row may be): expected a destination folder of its own',
      severity: 'warning',
    };
  }
  return {
    file: r.file,
    line: r.line,
    column: 'destination_directory',
    message:
      `destination ${dst}/${r.destinationDirectory.replace(/^\/+|\/+$/g, '')}/ is inside this row's source bucket${sameName}: ` +
      (r.destinationName === undefined
        ? `delivered files keep their name, so mask ${JSON.stringify(r.mask)} matches them again there; `
        : `mask ${JSON.stringify(r.mask)} may match the names destination_name ${JSON.stringify(r.destinationName)} gives them there; `) +
      'routing skips keys already under the destination directory',
    severity: 'warning',
  };
}

/** No name template, or one that gives every file name back. */
function keepsName(template: string | undefined): boolean {
  return template === undefined || template === '{name}' || template === '{stem}.{ext}';
}

/** Whether the row's mask may match a name it delivered (its anchors, the end renamed by its transform). */
function matchesOwnOutput(r: Route): boolean {
  const anchors = maskAnchors(r.mask);
  const arriving = {
    prefix: transformedPrefix(anchors.prefix, r.transform),
    suffix: transformedSuffix(anchors.suffix, r.transform),
  };
  return anchorsCompatible(arriving, anchors);
}

/** An empty directory, or `{path}` alone: the destination key is the source key. */
function keepsKey(directory: string): boolean {
  const dir = directory.trim().replace(/^\/+|\/+$/g, '');
  return dir === '' || dir === '{path}';
}
