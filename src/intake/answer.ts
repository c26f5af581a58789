import { TERMINAL_OUTCOMES } from '../model/outcome.js';
import type { SinkResult } from './sink.js';

export interface AnswerError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** What became of one event of the notification. */
export interface EventAnswer {
  bucket: string;
  key: string;
  project?: string;
  /** The generation the notification named, when it named one. */
  generation?: string;
  /** `rejected`: refused before routing (unsafe key, unknown or ambiguous bucket). */
  outcome: SinkResult['outcome'] | 'rejected';
  deliveries?: Array<{
    route: string;
    destination: string;
    state: string;
    error?: { code: string; message: string };
  }>;
  error?: AnswerError;
  note?: string;
  retryAfterMs?: number;
}

/**
 * The one answer to a notification, whatever the trigger; each maps `kind`
 * to its transport:
 * - `invalid`: not a notification (E_EVENT_INVALID naming the field and the
 *   rule): HTTP 400; a cloud platform is acknowledged, as retrying cannot help;
 * - `retry`: an event failed transiently or another worker holds it: HTTP 503
 *   + Retry-After, a platform retry;
 * - `rejected`: an event was refused for good (unsafe key, unknown or
 *   ambiguous bucket): HTTP 400, never retried;
 * - `queued`: every event was published for a later drain (HTTP 202);
 * - `ok`: every event reached a terminal outcome, `dead` and `ignored` included (HTTP 200).
 */
export interface IntakeAnswer {
  kind: 'ok' | 'queued' | 'retry' | 'rejected' | 'invalid';
  /** The events' outcome when they share one, `mixed` otherwise, `ignored` with no event, `invalid`. */
  outcome: string;
  /** Envelopes the notification came in, outermost first. */
  formats: string[];
  events: EventAnswer[];
  /** Why what was understood is not routed (deletions, test events, control messages). */
  ignored: string[];
  retryAfterMs?: number;
  error?: AnswerError;
}

/** Decides the answer from each event's, by precedence: retry, rejected, queued, ok. */
export function answerFor(formats: string[], events: EventAnswer[], ignored: string[]): IntakeAnswer {
  const answer: IntakeAnswer = { kind: 'ok', outcome: overallOutcome(events), formats, events, ignored };
  const retry = events.filter((a) => a.outcome === 'failed' || a.outcome === 'in-flight');
  const rejected = events.filter((a) => a.outcome === 'rejected');
  if (retry.length > 0) {
    answer.kind = 'retry';
    answer.retryAfterMs = Math.max(...retry.map((a) => a.retryAfterMs ?? 1000));
    const first = retry[0]!;
    answer.error =
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
    answer.kind = 'rejected';
    const unsafe = rejected.find((a) => a.error?.code === 'E_KEY_UNSAFE') ?? rejected[0]!;
    answer.error = unsafe.error ?? { code: 'E_EVENT_INVALID', message: 'event refused' };
  } else if (events.some((a) => a.outcome === 'queued')) {
    answer.kind = 'queued';
  }
  return answer;
}

/** The answer to what is not a notification. */
export function invalidAnswer(error: AnswerError): IntakeAnswer {
  return { kind: 'invalid', outcome: 'invalid', formats: [], events: [], ignored: [], error };
}

/** True when the sender must not send the event again: terminal, or queued for a drain. */
export function isSettled(outcome: SinkResult['outcome']): boolean {
  return outcome === 'queued' || TERMINAL_OUTCOMES.has(outcome);
}

function overallOutcome(events: EventAnswer[]): string {
  const outcomes = new Set(events.map((e) => e.outcome));
  if (outcomes.size === 0) return 'ignored';
  if (outcomes.size === 1) return [...outcomes][0]!;
  return 'mixed';
}
