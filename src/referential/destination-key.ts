import { assertSafeKey, fileNameOf, joinKey } from '../model/keys.js';
import { transformedName } from '../storage/transform.js';
import { expandDirectory, expandName } from './template.js';
import type { Route } from './types.js';

/** Where one row sends one object: the expanded directory, the file name and the key they make. */
export interface DestinationKey {
  directory: string;
  name: string;
  key: string;
}

/**
 * The destination key of `route` for the object at `key` created at
 * `created`, with the mask's named `groups`: the row's directory template
 * joined with its `destination_name` template (the source file name when it
 * has none), date placeholders read in the row's `timezone` (UTC when none),
 * the name then renamed by the row's `transform` (`.gz` added or removed,
 * `.csv` → `.jsonl`).
 * Throws `KeyUnsafeError` when either template gives an unsafe part.
 */
export function destinationKeyOf(
  route: Route,
  key: string,
  created: Date,
  groups: Record<string, string>,
): DestinationKey {
  const ctx = { key, created, groups, ...(route.timezone ? { timeZone: route.timezone } : {}) };
  const directory = expandDirectory(route.destinationDirectory, ctx);
  const named = route.destinationName ? expandName(route.destinationName, ctx) : fileNameOf(key);
  const name = transformedName(named, route.transform);
  const destination = joinKey(directory, name);
  assertSafeKey(destination);
  return { directory, name, key: destination };
}
