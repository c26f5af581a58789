import type { ObjectEvent } from '../model/event.js';
import type { Queue } from '../queue/types.js';
import { assertSafeBucket, assertSafeKey, parseLocation } from '../model/keys.js';
import type { StoreRegistry } from '../storage/registry.js';
import { mapPool } from '../util/pool.js';

export interface EnqueueReport {
  queued: number;
  /** Locations that do not exist right now (queued all the same: the drain records them `gone`). */
  missing: string[];
}

/**
 * Queues `PROJECT/BUCKET/KEY` locations by hand, as a notification would:
 * each is checked for a safe key and a usable project (ProjectUndeclaredError
 * when switchyard.yaml does not declare it but declares others) and, unless
 * `stat` is false, looked up so the
 * event carries its generation and size. Published in chunks, durably.
 */
export async function enqueueLocations(
  stores: StoreRegistry,
  queue: Queue,
  locations: string[],
  options: { stat?: boolean; concurrency?: number } = {},
): Promise<EnqueueReport> {
  const parsed = locations.map((text) => {
    const location = parseLocation(text);
    assertSafeBucket(location.bucket);
    assertSafeKey(location.key);
    stores.configFor(location.project);
    return { text, location };
  });
  const missing: string[] = [];
  const events = await mapPool(
    parsed,
    options.concurrency ?? 16,
    async ({ text, location }): Promise<ObjectEvent> => {
      const event: ObjectEvent = { ...location, origin: 'manual', eventTime: new Date().toISOString() };
      if (options.stat === false) return event;
      const info = await (await stores.storeFor(location.project)).stat(location.bucket, location.key);
      if (!info) {
        missing.push(text);
        return event;
      }
      return {
        ...event,
        generation: info.generation,
        size: info.size,
        ...(info.crc32c ? { crc32c: info.crc32c } : {}),
      };
    },
  );
  for (let i = 0; i < events.length; i += 500) await queue.publish(events.slice(i, i + 500));
  return { queued: events.length, missing };
}
