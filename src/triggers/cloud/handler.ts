import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CommonFlags } from '../../config/load.js';
import { commonFlagsFromEnv, envText } from '../../config/env.js';
import { errorCode, errorMessage, TransientError } from '../../model/errors.js';
import { intake, type IntakeAnswer } from '../../intake/intake.js';
import { routerSink, type EventSink } from '../../intake/sink.js';
import { createLogger, type Logger } from '../../util/log.js';
import { routeSdkWarnings } from '../../util/sdk-warnings.js';
import { openContext, type Context } from '../../runtime/context.js';
import type { NotificationInput } from '../../notifications/decode.js';
import { isRecord } from '../../notifications/json.js';
import { cloudConfig } from './config.js';

import type { Env } from './config.js';

export type { Env } from './config.js';

/**
 * What the cloud entry points read from the environment (all optional), by
 * the names the CLI reads for the same flags (src/config/env.ts):
 * - SWITCHYARD_ROUTES: the referential (path, gs:// or s3:// URI, or bq://PROJECT.DATASET.TABLE;
 *   BIGQUERY_EMULATOR_HOST sends its requests to an emulator, unauthenticated);
 * - SWITCHYARD_CONFIG: switchyard.yaml (projects and their backends: every
 *   project the referential names must be declared, see cloudConfig);
 * - SWITCHYARD_DATA: data root for declared local (fs) projects;
 * - SWITCHYARD_STATE: state folder (default `$TMPDIR/switchyard`, the only writable place on Lambda);
 * - SWITCHYARD_LEDGER: ledger URL (default `memory:`, see cloudConfig; `sqlite:` for a file in the
 *   state folder, postgres:// to share one);
 * - SWITCHYARD_CONCURRENCY, SWITCHYARD_ROUTES_POLL: as the flags;
 * - SWITCHYARD_PROJECT: the source project of every event (default: resolved from the referential by bucket);
 * - SWITCHYARD_LOG_LEVEL: default `info`.
 */
export function cloudFlags(env: Env): CommonFlags {
  return { state: path.join(tmpdir(), 'switchyard'), ...commonFlagsFromEnv(env) };
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
  const logger = createLogger({ level: envText(env, 'SWITCHYARD_LOG_LEVEL') ?? 'info' });
  routeSdkWarnings(logger);
  const config = await cloudConfig(cloudFlags(env), env, cwd);
  const ctx = await openContext(config, logger);
  const project = envText(env, 'SWITCHYARD_PROJECT');
  return { ctx, sink: routerSink(ctx.router), logger, ...(project ? { project } : {}) };
}

/**
 * Hands what arrived to the intake and decides what the platform is told:
 * resolves with the answer when every event is terminal, or refused for good,
 * or when it is no notification at all (retrying would not help: logged and
 * acknowledged); throws a TransientError when an event must be retried, so
 * the platform redelivers.
 */
export async function handleNotification(
  runtime: CloudRuntime,
  input: NotificationInput,
): Promise<IntakeAnswer> {
  const answer = await intake(input, {
    sink: runtime.sink,
    referential: () => runtime.ctx.router.referential,
    ...(runtime.project ? { project: runtime.project } : {}),
    logger: runtime.logger,
  });
  if (answer.kind === 'retry') {
    throw new TransientError(
      'E_BACKEND',
      answer.error?.message ?? '[switchyard] [cloud] transient failure; retry later',
      {
        code: answer.error?.code,
        events: answer.events.map((e) => `${e.bucket}/${e.key}: ${e.outcome}`),
      },
    );
  }
  return answer;
}

export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/**
 * A Lambda invocation: SQS records (each body any notification, or an event
 * switchyard itself queued), SNS records (S3 → SNS → Lambda), or one
 * notification as the event itself (S3 → Lambda, EventBridge, …). SQS records
 * that must be retried are returned in `batchItemFailures` (partial batch
 * response); any other transient failure throws. What is no notification is
 * acknowledged (answered `invalid`, logged): retrying cannot fix it.
 */
export async function handleLambdaEvent(
  runtime: CloudRuntime,
  event: unknown,
): Promise<SqsBatchResponse | IntakeAnswer | undefined> {
  const records = isRecord(event) && Array.isArray(event.Records) ? (event.Records as unknown[]) : undefined;
  if (records && records.length > 0 && records.every((r) => isRecord(r) && r.eventSource === 'aws:sqs')) {
    return handleSqsRecords(runtime, records as Array<Record<string, unknown>>);
  }
  if (records && records.length > 0 && records.every((r) => isRecord(r) && r.EventSource === 'aws:sns')) {
    for (const record of records as Array<Record<string, unknown>>)
      await handleNotification(runtime, { value: record.Sns });
    return undefined;
  }
  return handleNotification(runtime, { value: event });
}

async function handleSqsRecords(
  runtime: CloudRuntime,
  records: Array<Record<string, unknown>>,
): Promise<SqsBatchResponse> {
  const failures: SqsBatchResponse['batchItemFailures'] = [];
  for (const record of records) {
    const id = typeof record.messageId === 'string' ? record.messageId : '';
    try {
      const body = typeof record.body === 'string' ? record.body : '';
      await handleNotification(runtime, { body, queued: true });
    } catch (error) {
      runtime.logger.warn(
        { messageId: id, code: errorCode(error), error: errorMessage(error) },
        'SQS message will be retried',
      );
      failures.push({ itemIdentifier: id });
    }
  }
  return { batchItemFailures: failures };
}
