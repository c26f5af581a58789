import { randomBytes } from 'node:crypto';
import { formatLocation } from '../model/keys.js';
import type { RouteResult } from '../router/result.js';
import type { Context } from '../runtime/context.js';
import type { DeliveredFile } from '../signals/manifest.js';
import { Notifier } from '../signals/notifier.js';
import { signalDelivered, type SignalReport, type SignalRequest } from '../signals/signal.js';

export type { DeliveredFile } from '../signals/manifest.js';
export type { SignalReport } from '../signals/signal.js';

/** A drain's id: `drain-<UTC time to the second>-<6 hex>` (`drain-20261206T051500Z-a1b2c3`), unique and safe as a file name. */
export function newDrainId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `drain-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The deliveries these results carried to done in this process (not those found standing), with their sources. */
export function deliveredFiles(results: Iterable<RouteResult>): DeliveredFile[] {
  const files: DeliveredFile[] = [];
  for (const r of results) {
    if (!r.source) continue;
    const source = formatLocation(r.source);
    for (const d of r.deliveries) {
      if (d.state !== 'done' || d.durationMs === undefined) continue;
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

/**
 * Writes the manifests and sends the notify messages of what a drain or a
 * complete group delivered (signals/signal.ts), with the context's stores
 * and referential. `notifier` is the caller's (kept open); without it one
 * is opened for this call and closed after. Never throws for a failed
 * manifest or message: they are in the report.
 */
export async function signalFromContext(
  ctx: Context,
  request: SignalRequest,
  notifier?: Notifier,
): Promise<SignalReport> {
  const own = notifier ?? new Notifier({ env: ctx.config.env });
  try {
    return await signalDelivered(
      { referential: () => ctx.referential(), stores: ctx.stores, notifier: own, logger: ctx.logger },
      request,
    );
  } finally {
    if (!notifier) await own.close();
  }
}
