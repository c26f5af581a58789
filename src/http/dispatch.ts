import { errorCode, errorMessage, KeyUnsafeError, SwitchyardError } from '../errors.js';
import type { PayloadParse } from '../events/http-payload.js';
import type { EventSink, SinkResult } from '../events/sink.js';
import type { ObjectEvent } from '../events/types.js';
import type { Logger } from '../log.js';
import { TERMINAL_OUTCOMES } from '../router/result.js';
import { assertSafeBucket, assertSafeKey } from '../storage/keys.js';

export interface DispatchOptions {
  sink: EventSink;
  /** The referential's project for an event's bucket; throws E_BUCKET_AMBIGUOUS / E_BUCKET_UNKNOWN. */
  resolveProject(event: ObjectEvent): string;
  /** A project the sender named (`POST /events/<project>`): wins over the referential. */
  project?: string;
  logger?: Logger;
}

export interface EventAnswer {
  bucket: string;
  key: string;
  project?: string;
  /** What became of the event; `rejected`: refused before routing (unsafe key, unknown or ambiguous bucket). */
  outcome: SinkResult['outcome'] | 'rejected';
  deliveries?: Array<{
    route: string;
    destination: string;
    state: string;
    error?: { code: string; message: string };
  }>;
  error?: { code: string; message: string; details?: Record<string, unknown> };
  note?: string;
  retryAfterMs?: number;
}

/**
 * What the sender must be told, by precedence:
 * - `retry`: an event failed transiently or another worker holds it (HTTP 503 + Retry-After, platform retry);
 * - `rejected`: an event was refused for good (unsafe key, unknown or ambiguous bucket: HTTP 400, never retried);
 * - `queued`: every event was published for a later drain (HTTP 202);
 * - `ok`: every event reached a terminal outcome, `dead` included (HTTP 200).
 */
export interface DispatchVerdict {
  kind: 'ok' | 'queued' | 'retry' | 'rejected';
  events: EventAnswer[];
  ignored: string[];
  retryAfterMs?: number;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

/**
 * Hands each parsed event to the sink, in order, and decides the answer. A
 * key or bucket that could escape its bucket is checked before any lookup:
 * the sink still receives it (the router records it dead, never retried)
 * and the verdict is `rejected` with E_KEY_UNSAFE. What the payload held
 * besides events (an SNS subscription to confirm, ignored notifications) is
 * logged here, for the HTTP receiver and the cloud entry points alike.
 */
export async function dispatchEvents(
  parse: PayloadParse,
  options: DispatchOptions,
): Promise<DispatchVerdict> {
  const log = options.logger;
  if (parse.subscribeUrl) {
    log?.warn(
      { subscribeUrl: parse.subscribeUrl },
      'SNS subscription confirmation received: visit SubscribeURL to confirm (switchyard never fetches it)',
    );
  }
  for (const ignored of parse.ignored)
    log?.info({ formats: parse.formats, reason: ignored.reason }, 'notification ignored');
  const answers: EventAnswer[] = [];
  for (const parsed of parse.events) {
    const event: ObjectEvent = options.project ? { ...parsed, project: options.project } : { ...parsed };
    answers.push(await dispatchOne(event, options));
  }
  const verdict: DispatchVerdict = {
    kind: 'ok',
    events: answers,
    ignored: parse.ignored.map((i) => i.reason),
  };
  const retry = answers.filter((a) => a.outcome === 'failed' || a.outcome === 'in-flight');
  const rejected = answers.filter((a) => a.outcome === 'rejected');
  if (retry.length > 0) {
    verdict.kind = 'retry';
    verdict.retryAfterMs = Math.max(...retry.map((a) => a.retryAfterMs ?? 1000));
    const first = retry[0]!;
    verdict.error =
      first.outcome === 'in-flight'
        ? {
            code: 'E_LOCKED',
            message: `[switchyard] ${first.bucket}/${first.key} is being delivered by another request; retry later`,
          }
        : {
            code: first.error?.code ?? 'E_BACKEND',
            message: first.error?.message ?? 'transient failure; retry later',
          };
  } else if (rejected.length > 0) {
    verdict.kind = 'rejected';
    const unsafe = rejected.find((a) => a.error?.code === 'E_KEY_UNSAFE') ?? rejected[0]!;
    verdict.error = unsafe.error ?? { code: 'E_EVENT_INVALID', message: 'event refused' };
  } else if (answers.some((a) => a.outcome === 'queued')) {
    verdict.kind = 'queued';
  }
  return verdict;
}

async function dispatchOne(event: ObjectEvent, options: DispatchOptions): Promise<EventAnswer> {
  const answer: EventAnswer = { bucket: event.bucket, key: event.key, outcome: 'rejected' };
  let unsafe: KeyUnsafeError | undefined;
  try {
    assertSafeBucket(event.bucket);
    assertSafeKey(event.key);
  } catch (error) {
    if (!(error instanceof KeyUnsafeError)) throw error;
    unsafe = error;
  }
  if (!unsafe && !event.project) {
    try {
      event.project = options.resolveProject(event);
    } catch (error) {
      answer.error = describe(error);
      return answer;
    }
  }
  if (event.project) answer.project = event.project;
  let result: SinkResult;
  try {
    result = await options.sink(event);
  } catch (error) {
    options.logger?.warn({ err: error, bucket: event.bucket, key: event.key }, 'sink failed');
    result = {
      outcome: 'failed',
      error: { code: errorCode(error), message: errorMessage(error) },
      retryAfterMs: 1000,
    };
  }
  if (unsafe) {
    answer.error = describe(unsafe);
    answer.note = `recorded ${result.outcome}; not retried`;
    return answer;
  }
  answer.outcome = result.outcome;
  if (result.error) answer.error = result.error;
  if (result.retryAfterMs !== undefined && !isTerminal(result.outcome))
    answer.retryAfterMs = result.retryAfterMs;
  if (result.result?.note) answer.note = result.result.note;
  if (result.result?.deliveries.length) {
    answer.deliveries = result.result.deliveries.map((d) => ({
      route: d.routeId,
      destination: d.destination,
      state: d.state,
      ...(d.error ? { error: d.error } : {}),
    }));
  }
  return answer;
}

function isTerminal(outcome: SinkResult['outcome']): boolean {
  return outcome === 'queued' || TERMINAL_OUTCOMES.has(outcome);
}

function describe(error: unknown): NonNullable<EventAnswer['error']> {
  const details =
    error instanceof SwitchyardError && Array.isArray(error.details.candidates)
      ? { candidates: error.details.candidates as unknown[] }
      : undefined;
  return { code: errorCode(error), message: errorMessage(error), ...(details ? { details } : {}) };
}
