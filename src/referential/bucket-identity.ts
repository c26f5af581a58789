import { realpathSync } from 'node:fs';
import path from 'node:path';
import { localRootOf, type ProjectConfig } from '../storage/backends.js';

/**
 * Names the storage a (project, bucket) pair stands for: two pairs with the
 * same identity are one bucket (a row writing there writes where it reads).
 * Must be pure for one validation (it is called once per row end).
 */
export type BucketIdentity = (project: string, bucket: string) => string;

/** Buckets are what their names say: `project/bucket`. */
export const bucketByName: BucketIdentity = (project, bucket) => `${project}/${bucket}`;

export interface LocalBucketIdentityOptions {
  /** Data root of `fs` projects that give no `root`, and of projects `projects` does not list. */
  dataRoot: string;
  projects?: Record<string, ProjectConfig>;
}

/**
 * Identity by real path for local-folder projects (`fs`, and any project the
 * config does not list): a bucket folder that is a symbolic link to another
 * is that other bucket. Each bucket's identity is worked out once, when first
 * asked; a folder that does not exist compares by its absolute path. Other
 * backends compare by name.
 */
export function localBucketIdentity(options: LocalBucketIdentityOptions): BucketIdentity {
  const resolved = new Map<string, string>();
  const byPair = new Map<string, string>();
  const identify = (project: string, bucket: string): string => {
    const config = options.projects?.[project] ?? { backend: 'fs' as const, root: options.dataRoot };
    const root = localRootOf(config, options.dataRoot);
    if (root === undefined) return `${config.backend}:${bucketByName(project, bucket)}`;
    const folder = path.resolve(root, project, bucket);
    let identity = resolved.get(folder);
    if (identity === undefined) {
      identity = `fs:${realPathOr(folder)}`;
      resolved.set(folder, identity);
    }
    return identity;
  };
  // asked twice per row: each pair is worked out once
  return (project, bucket) => {
    const pair = `${project}\u0000${bucket}`;
    let identity = byPair.get(pair);
    if (identity === undefined) byPair.set(pair, (identity = identify(project, bucket)));
    return identity;
  };
}

function realPathOr(folder: string): string {
  try {
    return realpathSync.native(folder);
  } catch {
    return folder;
  }
}
