import type { ObjectStore } from './types.js';

/**
 * What a bucket is, whatever it is called (ObjectStore.bucketIdentity): the
 * store's own answer (a local folder's real path), else `backend:bucket`, a
 * cloud bucket's name being unique on its backend.
 */
export function bucketIdentityOf(store: ObjectStore, bucket: string): Promise<string> {
  return store.bucketIdentity ? store.bucketIdentity(bucket) : Promise.resolve(`${store.backend}:${bucket}`);
}

/**
 * bucketIdentityOf's answer when it is settled and at hand without waiting
 * (ObjectStore.bucketIdentityNow: a local folder resolved and kept); else
 * undefined, and bucketIdentityOf is asked.
 */
export function bucketIdentityNowOf(store: ObjectStore, bucket: string): string | undefined {
  if (!store.bucketIdentity) return `${store.backend}:${bucket}`;
  return store.bucketIdentityNow?.(bucket);
}
