import { formatLocation } from '../model/keys.js';
import type { DeliveredFile } from '../signals/manifest.js';
import type { RouteResult } from './result.js';

/**
 * The deliveries these results carried to done in this process (not those
 * found standing), with their sources: what a drain's or a complete group's
 * manifest lists. `routes`, when given, keeps only deliveries of those rows.
 */
export function deliveredFiles(
  results: Iterable<RouteResult>,
  routes?: { has(routeId: string): boolean },
): DeliveredFile[] {
  const files: DeliveredFile[] = [];
  for (const r of results) {
    if (!r.source) continue;
    const source = formatLocation(r.source);
    for (const d of r.deliveries) {
      if (d.state !== 'done' || d.durationMs === undefined) continue;
      if (routes && !routes.has(d.routeId)) continue;
      files.push({
        routeId: d.routeId,
        destination: d.destination,
        source,
        ...(d.crc32c ? { crc32c: d.crc32c } : {}),
      });
    }
  }
  return files;
}
