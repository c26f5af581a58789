import { errorCode, errorMessage, SwitchyardError } from '../model/errors.js';
import type { ObjectEvent } from '../model/event.js';
import type { Logger } from '../util/log.js';
import { decodeNotification, type NotificationInput } from '../notifications/decode.js';
import type { DecodedNotification } from '../notifications/types.js';
import type { Referential } from '../referential/types.js';
import { admitEvent } from '../router/admit.js';
import {
  answerFor,
  invalidAnswer,
  isSettled,
  type AnswerError,
  type EventAnswer,
  type IntakeAnswer,
} from './answer.js';
import type { EventSink, SinkResult } from './sink.js';

export type { EventAnswer, IntakeAnswer } from './answer.js';

export interface IntakeOptions {
  /** Where admitted events go: the router in event mode, the queue in batch mode. */
  sink: EventSink;
  /** The referential events are admitted against, read on every notification (a reload takes effect at once). */
  referential: () => Referential;
  /** A project the sender named (`POST /events/<project>`, SWITCHYARD_PROJECT): wins over the referential. */
  project?: string;
  logger?: Logger;
}

/**
 * What every trigger (HTTP receiver, Cloud Function, Lambda) does with what
 * arrived: decode it (`decodeNotification`), admit each event (a key that
 * could escape its bucket and a bucket of no project are refused here, once),
 * hand it to the sink, and shape the one answer the trigger maps to its
 * transport. An unsafe key still reaches the sink, so the router records it
 * dead, never retried; the answer is `rejected` with E_KEY_UNSAFE. What the
 * notification held besides events (an SNS subscription to confirm, ignored
 * notifications) is logged here for every trigger alike.
 */
export async function intake(input: NotificationInput, options: IntakeOptions): Promise<IntakeAnswer> {
  const log = options.logger;
  let decoded: DecodedNotification;
  try {
    decoded = decodeNotification(input);
  } catch (error) {
    if (!(error instanceof SwitchyardError) || error.transient) throw error;
    log?.warn({ code: error.code, error: error.message }, 'not a notification: refused, not retried');
    return invalidAnswer({ code: error.code, message: error.message, details: error.details });
  }
  if (decoded.subscribeUrl) {
    log?.warn(
      { subscribeUrl: decoded.subscribeUrl },
      'SNS subscription confirmation received: visit SubscribeURL to confirm (switchyard never fetches it)',
    );
  }
  for (const ignored of decoded.ignored)
    log?.info({ formats: decoded.formats, reason: ignored.reason }, 'notification ignored');
  const events: EventAnswer[] = [];
  for (const event of decoded.events)
    events.push(await admitOne(options.project ? { ...event, project: options.project } : event, options));
  const answer = answerFor(
    decoded.formats,
    events,
    decoded.ignored.map((i) => i.reason),
  );
  if (answer.kind === 'rejected')
    log?.error({ error: answer.error, events }, 'notification refused (not retried)');
  else
    log?.info(
      {
        formats: answer.formats,
        kind: answer.kind,
        events: events.map((e) => ({ key: e.key, outcome: e.outcome })),
      },
      'notification handled',
    );
  return answer;
}

async function admitOne(event: ObjectEvent, options: IntakeOptions): Promise<EventAnswer> {
  const answer: EventAnswer = { bucket: event.bucket, key: event.key, outcome: 'rejected' };
  if (event.generation !== undefined) answer.generation = event.generation;
  const admission = admitEvent(event, options.referential());
  if (admission.kind === 'refused') {
    answer.error = describe(admission.error);
    return answer;
  }
  if (admission.source) answer.project = admission.source.project;
  const result = await sink(options, admission.kind === 'admitted' ? admission.event : event);
  if (admission.kind === 'unsafe') {
    answer.error = describe(admission.error);
    answer.note = `recorded ${result.outcome}; not retried`;
    return answer;
  }
  answer.outcome = result.outcome;
  if (result.error) answer.error = result.error;
  if (result.retryAfterMs !== undefined && !isSettled(result.outcome))
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

/** The sink's answer; a sink that throws is a transient failure, retried by the sender. */
async function sink(options: IntakeOptions, event: ObjectEvent): Promise<SinkResult> {
  try {
    return await options.sink(event);
  } catch (error) {
    options.logger?.warn({ err: error, bucket: event.bucket, key: event.key }, 'sink failed');
    return {
      outcome: 'failed',
      error: { code: errorCode(error), message: errorMessage(error) },
      retryAfterMs: 1000,
    };
  }
}

function describe(error: unknown): AnswerError {
  const details =
    error instanceof SwitchyardError && Array.isArray(error.details.candidates)
      ? { candidates: error.details.candidates as unknown[] }
      : undefined;
  return { code: errorCode(error), message: errorMessage(error), ...(details ? { details } : {}) };
}
