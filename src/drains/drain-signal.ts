import type { Context } from '../runtime/context.js';
import type { Notifier } from '../signals/notifier.js';
import { signalDelivered, type SignalReport, type SignalRequest } from '../signals/signal.js';

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
