import { PermanentError, UsageError } from '../../../model/errors.js';
import type { EventSink } from '../../../intake/sink.js';
import type { Ledger } from '../../../ledger/types.js';
import type { Logger } from '../../../util/log.js';
import { assertSafeBucket, assertSafeKey, parseLocation, type Location } from '../../../model/keys.js';
import type { RetryAnswer } from './api-types.js';
import { deliveryView, isRetryableRoute } from './views.js';

/**
 * Retries one dead delivery as `switchyard dead-letters retry ID` does: makes
 * it due now in the ledger (`failed`, attempts 0, next attempt now), then
 * hands its source generation to the sink (routed now in event mode, queued
 * for the drain in batch mode). The answer carries the delivery as it stands
 * afterwards. A delivery that stopped being dead meanwhile (a retry from
 * elsewhere) is a conflict, not a second routing.
 */
export async function retryDelivery(
  ledger: Ledger,
  sink: EventSink,
  id: string,
  log: Logger,
): Promise<RetryAnswer> {
  const record = await ledger.get(id);
  if (!record)
    throw new PermanentError('E_NOT_FOUND', `[switchyard] [dashboard] no delivery ${JSON.stringify(id)}`, {
      id,
    });
  if (record.state !== 'dead') {
    throw new PermanentError(
      'E_CONFLICT',
      `[switchyard] [dashboard] delivery ${id} is ${record.state}, not dead: nothing to retry`,
      {
        id,
        state: record.state,
      },
    );
  }
  if (!isRetryableRoute(record.routeId)) {
    throw new PermanentError(
      'E_KEY_UNSAFE',
      `[switchyard] [dashboard] delivery ${id} was refused for an unsafe key: retrying cannot help`,
      { id },
    );
  }
  if ((await ledger.retryDead([id])) === 0) {
    throw new PermanentError(
      'E_CONFLICT',
      `[switchyard] [dashboard] delivery ${id} stopped being dead before it could be retried`,
      { id },
    );
  }
  log.info({ delivery: id, route: record.routeId }, 'dead delivery retried from the dashboard');
  const { project, bucket, key } = record.source;
  const result = await sink({ project, bucket, key, generation: record.generation, origin: 'manual' });
  const after = await ledger.get(id);
  return {
    outcome: result.outcome,
    ...(after ? { delivery: deliveryView(after) } : {}),
    ...(result.error ? { error: result.error } : {}),
  };
}

/**
 * Routes an unrouted file again (after a referential change, say):
 * `PROJECT/BUCKET/KEY`, or a `gs://` / `s3://` URI that `resolve` maps to
 * its project.
 */
export async function retryUnrouted(
  sink: EventSink,
  location: unknown,
  log: Logger,
  resolve: (text: string) => Location = parseLocation,
): Promise<RetryAnswer> {
  if (typeof location !== 'string')
    throw new UsageError('[switchyard] [dashboard] body must be {"source": "PROJECT/BUCKET/KEY"}');
  const source = resolve(location);
  assertSafeBucket(source.bucket);
  assertSafeKey(source.key);
  log.info({ source: location }, 'unrouted file routed again from the dashboard');
  const result = await sink({ ...source, origin: 'manual' });
  return { outcome: result.outcome, ...(result.error ? { error: result.error } : {}) };
}
