import { ProjectUndeclaredError } from '../model/errors.js';
import type { Referential } from '../referential/types.js';
import { planDeliveries } from './plan.js';
import { fileNameOf, formatLocation, parseLocation } from '../model/keys.js';
import type { StoreRegistry } from '../storage/registry.js';
import type { ObjectInfo } from '../storage/types.js';

export interface ExplainResult {
  source: string;
  name: string;
  exists: boolean;
  /** The creation time date placeholders used. */
  created: string;
  note?: string;
  matches: Array<{
    route: string;
    destination: string;
    /** The file name delivered: the source's, or what the row's `destination_name` makes of it. */
    destinationName: string;
    /** The zone the date placeholders were read in. */
    timezone: string;
    action: string;
    onConflict: string;
    file: string;
    line: number;
    mask: string;
  }>;
  refused: Array<{ route: string; code: string; message: string }>;
}

/**
 * Which rows match `PROJECT/BUCKET/KEY` and where each would send it, by the
 * same planner the router uses. Works from the name alone: when the object
 * does not exist (or its store cannot be reached), date placeholders use the
 * current time, and says so. A project switchyard.yaml does not declare,
 * where only declared ones may be used, is refused (ProjectUndeclaredError).
 */
export async function explain(
  referential: Referential,
  stores: StoreRegistry,
  text: string,
  now = new Date(),
): Promise<ExplainResult> {
  const source = parseLocation(text);
  let object: ObjectInfo | undefined;
  try {
    object = await (await stores.storeFor(source.project)).stat(source.bucket, source.key);
  } catch (error) {
    if (error instanceof ProjectUndeclaredError) throw error;
    object = undefined;
  }
  const assumed: ObjectInfo = object ?? {
    bucket: source.bucket,
    key: source.key,
    generation: 'explain',
    size: 0,
    created: now,
    updated: now,
    metadata: {},
  };
  const plan = planDeliveries(referential, source, assumed);
  return {
    source: formatLocation(source),
    name: fileNameOf(source.key),
    exists: Boolean(object),
    created: assumed.created.toISOString(),
    ...(object ? {} : { note: 'the object does not exist; date placeholders use the current time' }),
    matches: plan.deliveries.map(({ plan: p, route }) => ({
      route: route.id,
      destination: formatLocation(p.destination),
      destinationName: fileNameOf(p.destination.key),
      timezone: route.timezone ?? 'UTC',
      action: route.action,
      onConflict: route.onConflict,
      file: route.file,
      line: route.line,
      mask: route.mask,
    })),
    refused: plan.refused.map((r) => ({ route: r.route.id, code: r.code, message: r.message })),
  };
}
