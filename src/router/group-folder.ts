import { fileNameOf } from '../model/keys.js';
import type { Referential, Route } from '../referential/types.js';
import { maskTester } from '../referential/matcher.js';
import { readChecksum } from '../storage/stream-to-store.js';
import type { ObjectInfo, ObjectStore } from '../storage/types.js';

/** A marker bigger than this is not read for a manifest: it marks the group, its members are the folder's. */
export const MANIFEST_MAX_BYTES = 8 * 1024 * 1024;

/** One file a manifest names: its name in the folder, and optionally what it must be. */
export interface ManifestEntry {
  name: string;
  size?: number;
  crc32c?: string;
}

/**
 * One row's group in one folder as the listing shows it: the markers (files
 * whose name `complete_when` matches), the members (files the row's mask
 * matches, or exactly the manifest's list), what a manifest names that is
 * not there as named (`missing`), and, under a manifest, the files the
 * row's mask matches that no manifest lists (`unlisted`: they wait for a
 * manifest that lists them). Complete: a marker and nothing missing.
 */
export interface GroupState {
  route: Route;
  markers: ObjectInfo[];
  members: ObjectInfo[];
  missing: string[];
  unlisted: ObjectInfo[];
}

const testers = new Map<string, (name: string) => boolean>();

/** The cached RE2 test of a mask (complete_when and source masks of group rows). */
export function testerOf(mask: string): (name: string) => boolean {
  let test = testers.get(mask);
  if (!test) {
    test = maskTester(mask);
    if (testers.size > 10_000) testers.clear();
    testers.set(mask, test);
  }
  return test;
}

const GROUP_ROWS = new WeakMap<Referential, Map<string, Route[]>>();

/** The enabled rows with `complete_when` of one source bucket (per referential: a reload is a new object). */
export function groupRowsOf(referential: Referential, project: string, bucket: string): Route[] {
  let byBucket = GROUP_ROWS.get(referential);
  if (!byBucket) {
    byBucket = new Map();
    for (const r of referential.routes) {
      if (!r.enabled || r.completeWhen === undefined) continue;
      const at = `${r.sourceProject}\u0000${r.sourceBucket}`;
      const rows = byBucket.get(at);
      if (rows) rows.push(r);
      else byBucket.set(at, [r]);
    }
    GROUP_ROWS.set(referential, byBucket);
  }
  return byBucket.get(`${project}\u0000${bucket}`) ?? [];
}

/** The files directly in `folder` (deeper keys skipped), every page. */
export async function listFolder(store: ObjectStore, bucket: string, folder: string): Promise<ObjectInfo[]> {
  const prefix = folder === '' ? '' : `${folder}/`;
  const files: ObjectInfo[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.list(bucket, { prefix, ...(pageToken ? { pageToken } : {}) });
    for (const item of page.items) if (!item.key.slice(prefix.length).includes('/')) files.push(item);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return files;
}

/** Reads one row's group from the folder's listing (the markers read for a manifest). */
export async function groupState(
  store: ObjectStore,
  route: Route,
  listing: readonly ObjectInfo[],
): Promise<GroupState> {
  const isMarker = testerOf(route.completeWhen ?? '');
  const isMember = testerOf(route.mask);
  const markers = listing.filter((f) => isMarker(fileNameOf(f.key)));
  const others = listing.filter((f) => !isMarker(fileNameOf(f.key)));
  const manifests = (await Promise.all(markers.map((m) => readManifest(store, m)))).filter(
    (m): m is ManifestEntry[] => m !== undefined,
  );
  if (manifests.length === 0)
    return {
      route,
      markers,
      members: others.filter((f) => isMember(fileNameOf(f.key))),
      missing: [],
      unlisted: [],
    };
  const byName = new Map(others.map((f) => [fileNameOf(f.key), f]));
  const members: ObjectInfo[] = [];
  const missing: string[] = [];
  const listed = new Set<string>();
  for (const entry of manifests.flat()) {
    listed.add(entry.name);
    const file = byName.get(entry.name);
    if (file && (await matchesEntry(store, file, entry))) members.push(file);
    else missing.push(entry.name);
  }
  const unlisted = others.filter((f) => !listed.has(fileNameOf(f.key)) && isMember(fileNameOf(f.key)));
  return { route, markers, members: [...new Set(members)], missing, unlisted };
}

/**
 * The manifest a marker holds (`{"files":[{"name":…,"size":…,"crc32c":…}]}`),
 * or undefined when its content is not one (an empty `_SUCCESS`, other JSON,
 * a marker too big to be a manifest). A name with a `/`, or naming a marker,
 * is no file of this folder's members: it stays missing.
 */
export async function readManifest(
  store: ObjectStore,
  marker: ObjectInfo,
): Promise<ManifestEntry[] | undefined> {
  if (marker.size === 0 || marker.size > MANIFEST_MAX_BYTES) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of await store.read(marker.bucket, marker.key, { generation: marker.generation }))
    chunks.push(chunk as Buffer);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
  const files = (parsed as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return undefined;
  return files.flatMap((f: unknown): ManifestEntry[] => {
    const e = f as { name?: unknown; size?: unknown; crc32c?: unknown } | null;
    if (typeof e?.name !== 'string') return [];
    const entry: ManifestEntry = { name: e.name };
    if (typeof e.size === 'number') entry.size = e.size;
    if (typeof e.crc32c === 'string') entry.crc32c = e.crc32c;
    return [entry];
  });
}

/** Whether a listed file is what the manifest says: its size, and its CRC32C (read when the listing has none). */
async function matchesEntry(store: ObjectStore, file: ObjectInfo, entry: ManifestEntry): Promise<boolean> {
  if (entry.size !== undefined && entry.size !== file.size) return false;
  if (entry.crc32c === undefined) return true;
  const crc32c = file.crc32c ?? (await readChecksum(store, file.bucket, file.key)).crc32c;
  return crc32c === entry.crc32c;
}
