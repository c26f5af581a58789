/**
 * A package-lock.json for an empty project that depends on the packed
 * tarball only, pinned to the very versions the repository's lock installs:
 * its production entries (hoisted under node_modules/ as they are in the
 * repository), each with the registry URL npm ci cached it under, so that
 * `npm ci --offline` in the empty project finds every tarball in the cache
 * `npm ci` filled, without the registry documents an install from ranges
 * would need.
 */
interface LockEntry {
  version?: string;
  name?: string;
  resolved?: string;
  dev?: boolean;
  [field: string]: unknown;
}

export interface Lock {
  name?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

export interface PackedPackage {
  name: string;
  version: string;
  license?: string;
  dependencies?: Record<string, string>;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
}

export function consumerLock(repoLock: Lock, packed: PackedPackage, tarball: string, project: string): Lock {
  const spec = `file:${tarball}`;
  const packages: Record<string, LockEntry> = {
    '': { name: project, dependencies: { [packed.name]: spec } },
    [`node_modules/${packed.name}`]: {
      version: packed.version,
      resolved: spec,
      ...(packed.license ? { license: packed.license } : {}),
      ...(packed.dependencies ? { dependencies: packed.dependencies } : {}),
      ...(packed.bin ? { bin: packed.bin } : {}),
      ...(packed.engines ? { engines: packed.engines } : {}),
    },
  };
  for (const [where, entry] of Object.entries(repoLock.packages)) {
    if (where === '' || entry.dev || !where.startsWith('node_modules/')) continue;
    const name = entry.name ?? where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    packages[where] = {
      ...entry,
      resolved: entry.resolved ?? registryTarball(name, entry.version ?? ''),
    };
  }
  return { name: project, lockfileVersion: 3, requires: true, packages };
}

/** Where the npm registry serves `name@version` (what npm caches it under). */
export function registryTarball(name: string, version: string): string {
  const base = name.split('/').pop() ?? name;
  return `https://registry.npmjs.org/${name}/-/${base}-${version}.tgz`;
}
