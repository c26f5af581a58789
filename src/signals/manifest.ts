import type { ObjectStore } from '../storage/types.js';
import { manifestFileName } from '../referential/manifest-name.js';

/** A file a drain or group delivered, as the caller knows it (the router's delivery results). */
export interface DeliveredFile {
  routeId: string;
  /** `PROJECT/BUCKET/KEY` where it was delivered. */
  destination: string;
  /** `PROJECT/BUCKET/KEY` it was delivered from. */
  source: string;
  /** CRC32C (base64) of the delivered bytes when the caller knows it; otherwise read from the destination. */
  crc32c?: string;
}

/** One file of a manifest: its name in the manifest's folder, what the destination holds, where it came from. */
export interface ManifestFile {
  name: string;
  size: number;
  /** base64 big-endian CRC32C, as GCS and S3 report it. */
  crc32c: string;
  /** `PROJECT/BUCKET/KEY` of the source. */
  source: string;
  /** The file's row, only when several rows delivered into the manifest's folder (`route` is then null). */
  route?: string;
}

/**
 * `_MANIFEST-<id>.json`: what one drain or one complete group delivered into
 * one destination folder. `route` is the row's route id (null when several
 * rows with `write_manifest` delivered into that folder in the same drain;
 * each file then names its own). `createdAt` is ISO 8601 UTC.
 */
export interface Manifest {
  id: string;
  kind: 'drain' | 'group';
  route: string | null;
  createdAt: string;
  files: ManifestFile[];
}

/** A delivered file with what its destination holds now. */
export interface DescribedFile {
  routeId: string;
  project: string;
  bucket: string;
  key: string;
  /** The folder part of `key` (`''` at the bucket's root, else ending in `/`). */
  folder: string;
  size: number;
  crc32c: string;
  source: string;
}

/** The manifest of the files delivered into one folder. */
export function manifestOf(
  id: string,
  kind: Manifest['kind'],
  createdAt: Date,
  files: readonly DescribedFile[],
): Manifest {
  const routes = [...new Set(files.map((f) => f.routeId))];
  const one = routes.length === 1 ? (routes[0] as string) : null;
  return {
    id,
    kind,
    route: one,
    createdAt: createdAt.toISOString(),
    files: files.map((f) => ({
      name: f.key.slice(f.folder.length),
      size: f.size,
      crc32c: f.crc32c,
      source: f.source,
      ...(one === null ? { route: f.routeId } : {}),
    })),
  };
}

/**
 * Writes a manifest into `folder` of a bucket, atomically (the store's
 * write: temp file then link on local folders, one PUT on S3, one upload on
 * GCS) and never over an existing object (`ifGenerationMatch: '0'`: a
 * manifest of that id already there fails with E_PRECONDITION). Returns its
 * key.
 */
export async function writeManifest(
  store: ObjectStore,
  bucket: string,
  folder: string,
  manifest: Manifest,
): Promise<string> {
  const key = `${folder}${manifestFileName(manifest.id)}`;
  const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  await store.write(bucket, key, body, {
    ifGenerationMatch: '0',
    contentType: 'application/json',
    metadata: { 'switchyard-manifest': manifest.id },
    size: body.length,
  });
  return key;
}
