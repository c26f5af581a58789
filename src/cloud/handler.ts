import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CommonFlags } from '../config/load.js';
import { errorCode, errorMessage, SwitchyardError, TransientError } from '../errors.js';
import { parseNotification, type PayloadParse } from '../events/http-payload.js';
import { routerSink, type EventSink } from '../events/sink.js';
import type { ObjectEvent } from '../events/types.js';
import { dispatchEvents, type DispatchVerdict } from '../http/dispatch.js';
import { createLogger, type Logger } from '../log.js';
import { checkEvent } from '../queue/event-codec.js';
import { openContext, type Context } from '../modes/context.js';
import { isRecord, parseEventJson } from '../events/json.js';
import { cloudConfig } from './config.js';

import type { Env } from './config.js';

export type { Env } from './config.js';

/**
 * What the cloud entry points read from the environment (all optional):
 * - SWITCHYARD_ROUTES: the referential (path, gs:// or s3:// URI);
 * - SWITCHYARD_CONFIG: switchyard.yaml (projects and their backends: every
 *   project the referential names must be declared, see cloudConfig);
 * - SWITCHYARD_DATA: data root for declared local (fs) projects;
 * - SWITCHYARD_STATE: state folder (default `$TMPDIR/switchyard`, the only writable place on Lambda);
 * - SWITCHYARD_LEDGER: ledger URL (default SQLite in the state folder; use postgres:// to share it);
 * - SWITCHYARD_PROJECT: the source project of every event (default: resolved from the referential by bucket);
 * - SWITCHYARD_LOG_LEVEL: default `info`.
 */
export function cloudFlags(env: Env): CommonFlags {
  const flags: CommonFlags = { state: env.SWITCHYARD_STATE || path.join(tmpdir(), 'switchyard') };
  if (env.SWITCHYARD_ROUTES) flags.routes = env.SWITCHYARD_ROUTES;
  if (env.SWITCHYARD_CONFIG) flags.config = env.SWITCHYARD_CONFIG;
  if (env.SWITCHYARD_DATA) flags.data = env.SWITCHYARD_DATA;
  if (env.SWITCHYARD_LEDGER) flags.ledger = env.SWITCHYARD_LEDGER;
  return flags;
}

/** One function instance's context, sink and logger, opened on first use and reused by every invocation. */
export interface CloudRuntime {
  ctx: Context;
  sink: EventSink;
  logger: Logger;
  project?: string;
}

export interface CloudRuntimeHolder {
  get(): Promise<CloudRuntime>;
  /** Closes the context (tests; instance shutdown). The next get() opens a new one. */
  close(): Promise<void>;
}

/** Opens the runtime lazily from `env` (read at first use); a failed open is retried on the next invocation. */
export function cloudRuntime(env: Env, cwd: string = process.cwd()): CloudRuntimeHolder {
  let opening: Promise<CloudRuntime> | undefined;
  return {
    get() {
      opening ??= open(env, cwd).catch((error: unknown) => {
        opening = undefined;
        throw error;
      });
      return opening;
    },
    async close() {
      const current = opening;
      opening = undefined;
      if (current) await (await current.catch(() => undefined))?.ctx.close();
    },
  };
}

async function open(env: Env, cwd: string): Promise<CloudRuntime> {
  const logger = createLogger({ level: env.SWITCHYARD_LOG_LEVEL || 'info' });
  const config = await cloudConfig(cloudFlags(env), env, cwd);
  const ctx = await openContext(config, logger);
  return {
    ctx,
    sink: routerSink(ctx.router),
    logger,
    ...(env.SWITCHYARD_PROJECT ? { project: env.SWITCHYARD_PROJECT } : {}),
  };
}

/**
 * Routes a parsed notification and decides what the platform is told:
 * resolves with the verdict when every event is terminal (or refused for
 * good: retrying would not help, so it is logged and acknowledged); throws a
 * TransientError when an event must be retried, so the platform redelivers.
 */
export async function handleParsed(runtime: CloudRuntime, parse: PayloadParse): Promise<DispatchVerdict> {
  const { logger } = runtime;
  const verdict = await dispatchEvents(parse, {
    sink: runtime.sink,
    resolveProject: (event: ObjectEvent) => runtime.ctx.router.resolveProject(event),
    ...(runtime.project ? { project: runtime.project } : {}),
    logger,
  });
  if (verdict.kind === 'retry') {
    throw new TransientError(
      'E_BACKEND',
      verdict.error?.message ?? '[switchyard] [cloud] transient failure; retry later',
      {
        code: verdict.error?.code,
        events: verdict.events.map((e) => `${e.bucket}/${e.key}: ${e.outcome}`),
      },
    );
  }
  if (verdict.kind === 'rejected')
    logger.error({ error: verdict.error, events: verdict.events }, 'notification refused (not retried)');
  else
    logger.info(
      { formats: parse.formats, events: verdict.events.map((e) => ({ key: e.key, outcome: e.outcome })) },
      'notification handled',
    );
  return verdict;
}

/** Parses a notification; a malformed one is logged and answered with `undefined` (retrying cannot fix it). */
export function parseOrLog(runtime: CloudRuntime, read: () => PayloadParse): PayloadParse | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof SwitchyardError && !error.transient) {
      runtime.logger.error(
        { code: error.code, message: error.message },
        'malformed notification acknowledged (not retried)',
      );
      return undefined;
    }
    throw error;
  }
}

export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/**
 * A Lambda invocation: an S3 event (S3 → Lambda), an EventBridge event, SNS
 * records (S3 → SNS → Lambda), or SQS records whose bodies hold S3 events
 * (bare or SNS-wrapped). SQS records that must be retried are returned in
 * `batchItemFailures` (partial batch response); any other transient failure throws.
 */
export async function handleLambdaEvent(
  runtime: CloudRuntime,
  event: unknown,
): Promise<SqsBatchResponse | DispatchVerdict | undefined> {
  const records = isRecord(event) && Array.isArray(event.Records) ? (event.Records as unknown[]) : undefined;
  if (records && records.length > 0 && records.every((r) => isRecord(r) && r.eventSource === 'aws:sqs')) {
    return handleSqsRecords(runtime, records as Array<Record<string, unknown>>);
  }
  if (records && records.length > 0 && records.every((r) => isRecord(r) && r.EventSource === 'aws:sns')) {
    for (const record of records as Array<Record<string, unknown>>) {
      const sns = isRecord(record.Sns) ? record.Sns : {};
      const parse = parseOrLog(runtime, () => parseNotification(parseEventJson(sns.Message, 'SNS Message')));
      if (parse) await handleParsed(runtime, parse);
    }
    return undefined;
  }
  const parse = parseOrLog(runtime, () => parseNotification(event));
  return parse ? handleParsed(runtime, parse) : undefined;
}

async function handleSqsRecords(
  runtime: CloudRuntime,
  records: Array<Record<string, unknown>>,
): Promise<SqsBatchResponse> {
  const failures: SqsBatchResponse['batchItemFailures'] = [];
  for (const record of records) {
    const id = typeof record.messageId === 'string' ? record.messageId : '';
    const parse = parseOrLog(runtime, () => parseSqsBody(record.body));
    if (!parse) continue;
    try {
      await handleParsed(runtime, parse);
    } catch (error) {
      runtime.logger.warn(
        { messageId: id, code: errorCode(error), message: errorMessage(error) },
        'SQS message will be retried',
      );
      failures.push({ itemIdentifier: id });
    }
  }
  return { batchItemFailures: failures };
}

/** An S3 / SNS / EventBridge notification, or an event switchyard itself queued (`switchyard enqueue`, batch mode). */
function parseSqsBody(body: unknown): PayloadParse {
  const value = parseEventJson(body, 'SQS message body');
  try {
    return parseNotification(value);
  } catch (error) {
    if (!isRecord(value) || typeof value.origin !== 'string') throw error;
    return { formats: ['switchyard'], events: [checkEvent(value)], ignored: [] };
  }
}
