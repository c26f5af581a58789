import type { Context } from '../runtime/context.js';
import { Notifier } from '../signals/notifier.js';
import { signalDelivered, type SignalReport, type SignalRequest } from '../signals/signal.js';

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
