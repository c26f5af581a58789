import { crypto } from '../util/builtins.js';
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

/** One-shot `crypto.hash` where Node has it (20.12+, 21.7+): no Hash object per id. */
function sha256Hex(text: string): string {
  const c = crypto();
  return typeof c.hash === 'function'
    ? c.hash('sha256', text, 'hex')
    : c.createHash('sha256').update(text).digest('hex');
}
