import { deliveredFiles } from '../router/delivered.js';
import type { RouteResult } from '../router/result.js';
import type { Context } from '../runtime/context.js';
import type { DeliveredFile } from '../signals/manifest.js';
import type { Notifier } from '../signals/notifier.js';
import {
  signalDelivered,
  signallingRoutes,
  type SignalReport,
  type SignalRequest,
} from '../signals/signal.js';

/**
 * What a routing delivered for rows with `write_manifest` or `notify`, by
 * the referential in effect now; nothing for other rows, so a drain keeps
 * only what it will signal, not every result.
 */
export function signalledDeliveries(ctx: Context, result: RouteResult): DeliveredFile[] {
  if (result.outcome !== 'routed') return [];
  const routes = signallingRoutes(ctx.referential());
  return routes.size === 0 ? [] : deliveredFiles([result], routes);
}

/**
 * Writes the manifests and sends the notify messages of what a drain
 * delivered (signals/signal.ts), with the context's stores, referential and
 * notifier (or the caller's). Never throws for a failed manifest or
 * message: they are in the report.
 */
export function signalFromContext(
  ctx: Context,
  request: SignalRequest,
  notifier: Notifier = ctx.notifier(),
): Promise<SignalReport> {
  return signalDelivered(
    { referential: () => ctx.referential(), stores: ctx.stores, notifier, logger: ctx.logger },
    request,
  );
}
