import * as functions from '@google-cloud/functions-framework';
import type { CloudEvent } from '@google-cloud/functions-framework';
import type { IntakeAnswer } from '../../intake/intake.js';
import type { NotificationInput } from '../../notifications/decode.js';
import { isRecord } from '../../notifications/json.js';
import { cloudRuntime, handleNotification } from './handler.js';

/** The function's target name: `gcloud functions deploy … --entry-point=switchyardEvent`. */
export const GCP_ENTRY_POINT = 'switchyardEvent';

// Cloud entry points are an edge: configuration comes from the environment (see cloudFlags).
// eslint-disable-next-line no-restricted-properties
const runtime = cloudRuntime(process.env);

/**
 * Cloud Functions (2nd gen) / Eventarc entry point: any notification
 * `decodeNotification` reads, as the Functions Framework hands it over (a
 * Cloud Storage CloudEvent, a Pub/Sub `messagePublished` one, a 1st-gen
 * background event or a Pub/Sub push it converted, or a body it could not
 * read as a CloudEvent). Resolves with the intake's answer once the object
 * is routed, or the notification ignored, refused, dead or no notification at
 * all (logged, not retried: answered 200 with its `kind` and error); throws
 * on a transient failure so Eventarc redelivers.
 */
export async function switchyardEvent(cloudEvent: CloudEvent<unknown>): Promise<IntakeAnswer> {
  return handleNotification(await runtime.get(), arrival(cloudEvent));
}

/** Closes this instance's context (tests). */
export function closeGcpRuntime(): Promise<void> {
  return runtime.close();
}

functions.cloudEvent(GCP_ENTRY_POINT, switchyardEvent);

/**
 * What the Functions Framework received, as it arrived: a binary-mode
 * CloudEvent whose body it left as text or bytes goes back to its `ce-*`
 * headers and body; a body it parsed is a value; one it could not parse
 * (`text/plain`, as SNS posts) is the body itself.
 */
function arrival(event: unknown): NotificationInput {
  if (typeof event === 'string' || event instanceof Uint8Array) return { body: event };
  if (isRecord(event) && typeof event.specversion === 'string') {
    const data = event.data;
    if (typeof data === 'string' || data instanceof Uint8Array) {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(event))
        if (name !== 'data' && typeof value === 'string') headers[`ce-${name}`] = value;
      return { body: data, headers };
    }
  }
  return { value: event };
}
