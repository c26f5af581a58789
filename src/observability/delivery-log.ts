import { formatLocation } from '../model/keys.js';
import type { DeliveryResult, RouteResult } from '../router/result.js';
import type { RouterHooks } from '../router/router.js';
import type { Logger } from '../util/log.js';

type Level = 'info' | 'warn' | 'error';

/**
 * The level of a delivery's line by the state it reached: a transient failure
 * (retried later) is a warning, a permanent one (dead: the source is kept
 * until someone acts; gone: the source vanished before it was delivered) an
 * error; anything else is information.
 */
const LEVEL: Partial<Record<DeliveryResult['state'], Level>> = {
  failed: 'warn',
  dead: 'error',
  gone: 'error',
};

const MESSAGE: Partial<Record<DeliveryResult['state'], string>> = {
  done: 'delivery done',
  verified: 'delivery verified, source kept until every delivery of the file is',
  superseded: 'delivery superseded',
  failed: 'delivery failed, will retry',
  dead: 'delivery dead',
  gone: 'delivery gone: source vanished before it was delivered',
};

/** One delivery's log line: what `logDeliveries` writes, at `level`, with `message`. */
export interface DeliveryLogLine {
  level: Level;
  message: string;
  fields: {
    /** The delivery id (what the dashboard and `dead-letters list` show). */
    delivery: string;
    /** `PROJECT/BUCKET/KEY` */
    source: string;
    /** `PROJECT/BUCKET/KEY` */
    destination: string;
    route: string;
    action: string;
    /** The delivery's state after this call: done, verified, superseded, failed, dead or gone. */
    outcome: DeliveryResult['state'];
    /** Bytes delivered: the object's size once written and verified, else 0. */
    bytes: number;
    durationMs: number;
    code?: string;
    error?: string;
  };
}

/**
 * The lines of the deliveries this call carried to a state (those with a
 * duration: claimed and attempted, refused, or settled after their source
 * vanished). A delivery it only found standing (done, dead, held elsewhere)
 * or merely planned (a dry run) has no line: it was logged when it got there.
 */
export function deliveryLines(result: RouteResult): DeliveryLogLine[] {
  const source = result.source
    ? formatLocation(result.source)
    : `${result.event.project ?? '?'}/${result.event.bucket}/${result.event.key}`;
  const lines: DeliveryLogLine[] = [];
  for (const d of result.deliveries) {
    if (d.durationMs === undefined) continue;
    const delivered = d.state === 'done' || d.state === 'verified';
    lines.push({
      level: LEVEL[d.state] ?? 'info',
      message: MESSAGE[d.state] ?? `delivery ${d.state}`,
      fields: {
        delivery: d.id,
        source,
        destination: d.destination,
        route: d.routeId,
        action: d.action,
        outcome: d.state,
        bytes: delivered ? (d.bytes ?? 0) : 0,
        durationMs: d.durationMs,
        ...(d.error ? { code: d.error.code, error: d.error.message } : {}),
      },
    });
  }
  return lines;
}

/** Writes one line per delivery the result carried (see deliveryLines). */
export function logDeliveries(logger: Logger, result: RouteResult): void {
  // a scan at `warn` logs no done delivery: build no line (and no location text) for them
  if (!result.deliveries.some((d) => logger.isLevelEnabled(LEVEL[d.state] ?? 'info'))) return;
  for (const line of deliveryLines(result)) logger[line.level](line.fields, line.message);
}

/** Router hooks that log every delivery this process carries (composed with others by `withHooks`, ./hooks.ts). */
export function deliveryLogHooks(logger: Logger): RouterHooks {
  return { event: (result) => logDeliveries(logger, result) };
}
