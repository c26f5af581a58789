import { deliveredFiles } from '../router/delivered.js';
import type { RouterHooks } from '../router/router.js';
import type { Notifier } from '../signals/notifier.js';
import { newSignalId } from '../signals/signal-id.js';
import { signalDelivered, type SignalContext } from '../signals/signal.js';

/**
 * The router hook that tells downstream what a complete group delivered: for
 * rows with `write_manifest`, `_MANIFEST-group-….json` in each destination
 * folder its members went to; for rows with `notify`, one message per row.
 * It runs when a folder's group completes, before the event that completed it
 * is answered (a Cloud Function or Lambda is not frozen halfway), in every
 * mode: event, watcher, scan, worker and drain. The manifest lists the
 * members this process delivered, not the marker (it is the group's signal,
 * not its data). A failed manifest or message is logged and never undoes a
 * delivery.
 */
export function groupSignalHooks(
  ctx: Omit<SignalContext, 'notifier'> & { notifier: () => Notifier },
): RouterHooks {
  return {
    async group(outcome) {
      if (outcome.completed.length === 0) return;
      const deliveries = deliveredFiles(outcome.members, new Set(outcome.completed));
      if (deliveries.length === 0) return;
      const id = newSignalId('group', ctx.now?.());
      const report = await signalDelivered(
        { ...ctx, notifier: ctx.notifier() },
        { id, kind: 'group', deliveries },
      );
      if (report.manifests.length > 0 || report.notified > 0)
        ctx.logger.info(
          {
            group: id,
            folder: `${outcome.project}/${outcome.bucket}/${outcome.folder}`,
            routes: outcome.completed,
            manifests: report.manifests,
            notified: report.notified,
          },
          'group signalled downstream',
        );
    },
  };
}
