import { ProjectUndeclaredError } from '../model/errors.js';
import type { Referential, Route } from '../referential/types.js';
import { planDeliveries } from './plan.js';
import { groupRowsOf, groupState, listFolder, testerOf } from './group-folder.js';
import { fileNameOf, folderOf, formatLocation, parseLocation, type Location } from '../model/keys.js';
import type { StoreRegistry } from '../storage/registry.js';
import type { ObjectInfo, ObjectStore } from '../storage/types.js';

/**
 * What a row with `complete_when` makes of the file: it travels with its
 * folder's group, which the folder's listing shows complete (a marker, and
 * nothing a manifest names missing) or waiting; `unknown` when the folder
 * could not be listed.
 */
export interface ExplainGroup {
  route: string;
  /** `member`: the row's mask matches the file; `marker`: its complete_when does. */
  role: 'member' | 'marker';
  completeWhen: string;
  timeoutMs?: number;
  state: 'complete' | 'waiting' | 'unknown';
  /** Members of the group in the folder now (the file's siblings the row matches, or a manifest's list). */
  members: number;
  markers: string[];
  /** Names a manifest lists that are not in the folder as listed. */
  missing: string[];
  /** The file is a member by the row's mask that no manifest in the folder lists: it waits for one that does. */
  unlisted: boolean;
}

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
  /** The groups the file belongs to as a member or a marker (rows with complete_when). */
  groups: ExplainGroup[];
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
  const store = await stores.storeFor(source.project).catch((error: unknown) => {
    if (error instanceof ProjectUndeclaredError) throw error;
    return undefined;
  });
  const object = await store?.stat(source.bucket, source.key).catch(() => undefined);
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
    groups: await explainGroups(referential, store, source),
  };
}

/** The group rows of the file's bucket that take it as a member or a marker, each with its folder's state now. */
async function explainGroups(
  referential: Referential,
  store: ObjectStore | undefined,
  source: Location,
): Promise<ExplainGroup[]> {
  const name = fileNameOf(source.key);
  const rows = groupRowsOf(referential, source.project, source.bucket).flatMap(
    (route): Array<{ route: Route; role: ExplainGroup['role'] }> => {
      if (testerOf(route.mask)(name)) return [{ route, role: 'member' }];
      return testerOf(route.completeWhen ?? '')(name) ? [{ route, role: 'marker' }] : [];
    },
  );
  if (rows.length === 0) return [];
  const listing = store
    ? await listFolder(store, source.bucket, folderOf(source.key)).catch(() => undefined)
    : undefined;
  return Promise.all(rows.map(({ route, role }) => explainGroup(route, role, store, listing, source.key)));
}

async function explainGroup(
  route: Route,
  role: ExplainGroup['role'],
  store: ObjectStore | undefined,
  listing: ObjectInfo[] | undefined,
  key: string,
): Promise<ExplainGroup> {
  const base = {
    route: route.id,
    role,
    completeWhen: route.completeWhen ?? '',
    ...(route.groupTimeoutMs !== undefined ? { timeoutMs: route.groupTimeoutMs } : {}),
  };
  const state = store && listing ? await groupState(store, route, listing).catch(() => undefined) : undefined;
  if (!state) return { ...base, state: 'unknown', members: 0, markers: [], missing: [], unlisted: false };
  const unlisted = state.unlisted.some((f) => f.key === key);
  const complete = state.markers.length > 0 && state.missing.length === 0 && !unlisted;
  return {
    ...base,
    state: complete ? 'complete' : 'waiting',
    members: state.members.length,
    markers: state.markers.map((m) => fileNameOf(m.key)),
    missing: state.missing,
    unlisted,
  };
}
