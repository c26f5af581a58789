import { sha256Hex } from '../util/sha256.js';
import type { Location } from '../storage/types.js';

/**
 * The stable id of one delivery: the first 32 hex digits of the SHA-256 of a
 * canonical JSON of (source location, generation, route id). The same object
 * generation sent along the same route always gets the same id, in every
 * process, which is what makes a duplicate notification a no-op.
 */
export function deliveryId(source: Location, generation: string, routeId: string): string {
  const canonical = JSON.stringify({
    generation,
    routeId,
    source: { bucket: source.bucket, key: source.key, project: source.project },
  });
  return sha256Hex(canonical).slice(0, 32);
}
