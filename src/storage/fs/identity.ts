import path from 'node:path';
import { assertSafeBucket } from '../../model/keys.js';
import { fsMeta } from './meta.js';
import { isMissing, wrapFsError } from './paths.js';

/**
 * The identity of a local bucket folder: `fs:` and its real path, symbolic
 * links resolved, so a destination bucket that is a link to the source folder
 * compares equal to it. Resolved once per bucket and kept; a folder that does
 * not exist yet is resolved through its nearest existing parent each time it
 * is asked for after the last resolution settled, until it does. Callers
 * asking while one resolution runs share it: a scan's first lanes, all asking
 * for a destination folder no move has made yet, made two realpath calls
 * each (a burst of some 500 in a 2,000-file scan).
 */
export class BucketIdentities {
  private readonly resolved = new Map<string, string>();
  private readonly resolving = new Map<string, Promise<string>>();

  constructor(private readonly root: string) {}

  /** The identity of a folder that existed when it was resolved; undefined until then. */
  known(bucket: string): string | undefined {
    return this.resolved.get(bucket);
  }

  of(bucket: string): Promise<string> {
    const cached = this.resolved.get(bucket);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.resolving.get(bucket);
    if (!pending) {
      pending = this.resolve(bucket).finally(() => this.resolving.delete(bucket));
      this.resolving.set(bucket, pending);
    }
    return pending;
  }

  private async resolve(bucket: string): Promise<string> {
    assertSafeBucket(bucket);
    const folder = path.join(this.root, bucket);
    const { real, exists } = await realPathOf(folder);
    const identity = `fs:${real}`;
    if (exists) this.resolved.set(bucket, identity);
    return identity;
  }
}

/** The real path of `target`, through its nearest existing ancestor when it does not exist. */
async function realPathOf(target: string): Promise<{ real: string; exists: boolean }> {
  const missing: string[] = [];
  let current = target;
  for (;;) {
    try {
      const real = await fsMeta.realpath(current);
      return { real: path.join(real, ...missing.reverse()), exists: missing.length === 0 };
    } catch (error) {
      const parent = path.dirname(current);
      if (!isMissing(error) || parent === current) throw wrapFsError(error, 'realpath', target, current);
      missing.push(path.basename(current));
      current = parent;
    }
  }
}
