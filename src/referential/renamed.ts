import { transformedName, transformedPrefix, transformedSuffix } from '../storage/transform.js';
import { destinationKeyOf } from './destination-key.js';
import type { MaskAnchors } from './mask-anchors.js';
import { compileMask } from './matcher.js';
import { parseTemplate } from './template.js';
import type { Route } from './types.js';

/** The instant date placeholders read when names are compared without a file (any instant would do: both sides read the same). */
const SAMPLE_TIME = new Date(Date.UTC(2024, 0, 15, 12));

/**
 * The name `route` gives a file named `name` it matches, with its mask's
 * groups and `destination_name` (date placeholders at one sample instant, in
 * the row's zone), then renamed by its `transform`; undefined when the mask
 * does not match or the template refuses the name (no delivery then).
 */
export function deliveredName(route: Route, name: string): string | undefined {
  if (route.destinationName === undefined) {
    return compileMask(route.mask).test(name) ? transformedName(name, route.transform) : undefined;
  }
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

/** Whether a row may deliver a name other than the one it matched: a `destination_name` other than `{name}`, or a transform. */
export function renamesFiles(route: Route): boolean {
  return (
    (route.destinationName !== undefined && route.destinationName !== '{name}') ||
    route.transform !== undefined
  );
}

/**
 * What every name `route` delivers is certain to start and end with, given
 * its mask's `anchors` ('' when nothing is certain): the mask's anchors when
 * the name is kept, else the literal text a `destination_name` starts and
 * ends with; then renamed by the transform (`.gz`, `.jsonl`, `.parquet`
 * gained are certain whatever the name).
 */
export function deliveredAnchors(route: Route, anchors: MaskAnchors): MaskAnchors {
  let kept = anchors;
  if (route.destinationName !== undefined && route.destinationName !== '{name}') {
    const { parts } = parseTemplate(route.destinationName);
    const first = parts[0];
    const last = parts[parts.length - 1];
    kept = {
      prefix: first && 'text' in first ? first.text : '',
      suffix: last && 'text' in last ? last.text : '',
    };
  }
  if (!route.transform) return kept;
  return {
    prefix: transformedPrefix(kept.prefix, route.transform),
    suffix: transformedSuffix(kept.suffix, route.transform),
  };
}

/**
 * Names a row without `destination_name` turns into `delivered` by its
 * transform (the inverse of transformedName; a name the transform keeps is
 * its own source): the candidates a caller tests with deliveredName.
 */
export function namesDelivering(route: Route, delivered: string): string[] {
  switch (route.transform) {
    case undefined:
      return [delivered];
    case 'gzip':
      return /.\.gz$/i.test(delivered) ? [delivered.slice(0, -3)] : [];
    case 'gunzip':
      return [`${delivered}.gz`, delivered];
    case 'csv-to-jsonl':
    case 'csv-to-parquet': {
      const ext = route.transform === 'csv-to-jsonl' ? '.jsonl' : '.parquet';
      if (!delivered.toLowerCase().endsWith(ext) || delivered.length === ext.length) return [];
      const stem = delivered.slice(0, -ext.length);
      return [`${stem}.csv`, stem];
    }
  }
}
