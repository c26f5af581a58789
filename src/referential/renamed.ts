import { destinationKeyOf } from './destination-key.js';
import { compileMask } from './matcher.js';
import type { Route } from './types.js';

/** The instant date placeholders read when names are compared without a file (any instant would do: both sides read the same). */
const SAMPLE_TIME = new Date(Date.UTC(2024, 0, 15, 12));

/**
 * The name `route` gives a file named `name` it matches, with its mask's
 * groups and `destination_name` (date placeholders at one sample instant, in
 * the row's zone); undefined when the mask does not match or the template
 * refuses the name (no delivery then).
 */
export function deliveredName(route: Route, name: string): string | undefined {
  if (route.destinationName === undefined) return compileMask(route.mask).test(name) ? name : undefined;
  const result = compileMask(route.mask).exec(name);
  if (!result) return undefined;
  const groups: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.groups ?? {})) groups[k] = v ?? '';
  try {
    return destinationKeyOf({ ...route, destinationDirectory: '' }, name, SAMPLE_TIME, groups).name;
  } catch {
    return undefined;
  }
}
