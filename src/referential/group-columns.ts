import { DURATION_EXAMPLES, parseDuration } from '../config/duration.js';
import { compileMask } from './matcher.js';
import { findCommonName, sampleMask } from './overlap.js';
import type { Route } from './types.js';

/** A group's timeout when the row sets none: a day. */
export const DEFAULT_GROUP_TIMEOUT_MS = 24 * 3_600_000;

type Report = (column: string, message: string) => void;

/**
 * The group columns of one row (`complete_when`, `group_timeout`), checked.
 * `complete_when` must be a valid RE2 mask that no name of the row's own
 * `source_file_mask` can also match: such a name would be a member and a
 * marker at once. The check tries the marker's sample name, then the names
 * the overlap checker builds from both masks (`findCommonName`); a name found
 * is a real witness (both masks run on it). `group_timeout` without
 * `complete_when` is refused (it would say nothing).
 */
export function checkGroupColumns(
  completeWhen: string,
  timeout: string,
  sourceMask: string,
  report: Report,
): Pick<Route, 'completeWhen' | 'groupTimeoutMs'> {
  const out: Pick<Route, 'completeWhen' | 'groupTimeoutMs'> = {};
  if (timeout !== '') {
    const ms = parseDuration(timeout);
    if (ms === undefined || ms <= 0)
      report(
        'group_timeout',
        `invalid group_timeout ${JSON.stringify(timeout)}: expected ${DURATION_EXAMPLES} or 24h`,
      );
    else if (completeWhen === '')
      report(
        'group_timeout',
        `group_timeout ${JSON.stringify(timeout)} without complete_when: expected a complete_when mask (only groups time out)`,
      );
    else out.groupTimeoutMs = ms;
  }
  if (completeWhen === '') return out;
  try {
    compileMask(completeWhen);
  } catch (error) {
    report('complete_when', `invalid RE2 mask ${JSON.stringify(completeWhen)}: ${(error as Error).message}`);
    return out;
  }
  const common = memberAndMarker(completeWhen, sourceMask);
  if (common !== undefined) {
    report(
      'complete_when',
      `complete_when ${JSON.stringify(completeWhen)} and source_file_mask ${JSON.stringify(sourceMask)} both match ${JSON.stringify(common)}: a member would be taken for a marker; expected a marker mask the source mask cannot match (e.g. ^_SUCCESS$ beside \\.csv$)`,
    );
    return out;
  }
  out.completeWhen = completeWhen;
  out.groupTimeoutMs ??= DEFAULT_GROUP_TIMEOUT_MS;
  return out;
}

/** A file name both the marker mask and the source mask match, if one is found. */
function memberAndMarker(completeWhen: string, sourceMask: string): string | undefined {
  let source: ReturnType<typeof sampleMask>;
  try {
    source = sampleMask(sourceMask);
  } catch {
    return undefined; // an invalid source mask is reported on its own column
  }
  const marker = sampleMask(completeWhen);
  if (source.test(marker.text)) return marker.text;
  return findCommonName(marker, source);
}
