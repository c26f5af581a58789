import type { Queue } from '../queue/types.js';
import type { EventOutcome, RouteResult } from '../router/result.js';
import type { ObjectEvent } from '../model/event.js';

/**
 * Where triggers (HTTP receiver, watcher, Cloud Functions, Lambda) hand their
 * events: the router in event mode, the queue in batch mode. Triggers stay
 * thin: they turn their input into ObjectEvents and answer from SinkResult.
 */
export interface SinkResult {
  /** `queued`: durably published for a later drain. */
  outcome: EventOutcome | 'queued';
  result?: RouteResult;
  retryAfterMs?: number;
  error?: { code: string; message: string };
}

export type EventSink = (event: ObjectEvent) => Promise<SinkResult>;

export function routerSink(router: { route(event: ObjectEvent): Promise<RouteResult> }): EventSink {
  return async (event) => {
    const result = await router.route(event);
    return {
      outcome: result.outcome,
      result,
      ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
      ...(result.error ? { error: result.error } : {}),
    };
  };
}

export function queueSink(queue: Queue): EventSink {
  return async (event) => {
    await queue.publish([event]);
    return { outcome: 'queued' };
  };
}
