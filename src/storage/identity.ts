import type { ObjectStore } from './types.js';

/**
 * What a bucket is, whatever it is called (ObjectStore.bucketIdentity): the
 * store's own answer (a local folder's real path), else `backend:bucket`, a
 * cloud bucket's name being unique on its backend.
 */
export function bucketIdentityOf(store: ObjectStore, bucket: string): Promise<string> {
  return store.bucketIdentity ? store.bucketIdentity(bucket) : Promise.resolve(namedIdentity(store, bucket));
}

/**
 * bucketIdentityOf's answer when it is settled and at hand without waiting
 * (ObjectStore.bucketIdentityNow: a local folder resolved and kept); else
 * undefined, and bucketIdentityOf is asked.
 */
export function bucketIdentityNowOf(store: ObjectStore, bucket: string): string | undefined {
  return store.bucketIdentity ? store.bucketIdentityNow?.(bucket) : namedIdentity(store, bucket);
}

/** The identity of a bucket of a store that has none of its own: its name on its backend. */
function namedIdentity(store: ObjectStore, bucket: string): string {
  return `${store.backend}:${bucket}`;
}
