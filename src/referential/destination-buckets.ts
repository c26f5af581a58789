import type { Referential } from './types.js';

const known = new WeakMap<Referential, Set<string>>();

/**
 * Whether some row of the referential (enabled or not) delivers into this
 * project's bucket. The set of destination buckets is made once per
 * referential, which never changes once compiled: a router asks for every
 * file it sees, and a scan against 50,000 rows compared each file with every
 * row.
 */
export function isDestinationBucket(referential: Referential, project: string, bucket: string): boolean {
  let buckets = known.get(referential);
  if (!buckets) {
    buckets = new Set(referential.routes.map((r) => bucketKey(r.destinationProject, r.destinationBucket)));
    known.set(referential, buckets);
  }
  return buckets.has(bucketKey(project, bucket));
}

function bucketKey(project: string, bucket: string): string {
  return `${project.length}:${project}${bucket}`;
}
