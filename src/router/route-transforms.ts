import type { Referential } from '../referential/types.js';
import type { TransformName } from '../storage/transform.js';

/** Transforms by route id, per referential (a reload is a new object): a lookup, not a search of every row, for each delivery seen again. */
const TRANSFORMS = new WeakMap<Referential, Map<string, TransformName>>();

export function transformsOf(referential: Referential): Map<string, TransformName> {
  let byId = TRANSFORMS.get(referential);
  if (!byId) {
    byId = new Map();
    for (const r of referential.routes) if (r.transform) byId.set(r.id, r.transform);
    TRANSFORMS.set(referential, byId);
  }
  return byId;
}
