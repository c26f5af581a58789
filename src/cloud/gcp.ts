import * as functions from '@google-cloud/functions-framework';
import type { CloudEvent } from '@google-cloud/functions-framework';
import { EventInvalidError } from '../errors.js';
import type { CloudEventLike } from '../events/cloudevent.js';
import { decodeBase64Strict } from '../events/pubsub-push.js';
import { parseCloudEvent } from '../events/http-payload.js';
import type { DispatchVerdict } from '../http/dispatch.js';
import { cloudRuntime, handleParsed, parseOrLog } from './handler.js';

/** The function's target name: `gcloud functions deploy … --entry-point=switchyardEvent`. */
export const GCP_ENTRY_POINT = 'switchyardEvent';

// Cloud entry points are an edge: configuration comes from the environment (see cloudFlags).
// eslint-disable-next-line no-restricted-properties
const runtime = cloudRuntime(process.env);

/**
 * Cloud Functions (2nd gen) / Eventarc entry point: a Cloud Storage
 * `google.cloud.storage.object.v1.finalized` CloudEvent, or a Pub/Sub
 * `messagePublished` one carrying a GCS notification. Resolves once the
 * object is routed (or the event is ignored, refused or dead: logged, not
 * retried); throws on a transient failure so Eventarc redelivers.
 */
export async function switchyardEvent(cloudEvent: CloudEvent<unknown>): Promise<DispatchVerdict | undefined> {
  const rt = await runtime.get();
  const parse = parseOrLog(rt, () => parseCloudEvent(toCloudEventLike(cloudEvent)));
  return parse ? handleParsed(rt, parse) : undefined;
}

/** Closes this instance's context (tests). */
export function closeGcpRuntime(): Promise<void> {
  return runtime.close();
}

functions.cloudEvent(GCP_ENTRY_POINT, switchyardEvent);

function toCloudEventLike(event: CloudEvent<unknown>): CloudEventLike {
  const ce = { ...(event as unknown as Record<string, unknown>) };
  let data: unknown = ce.data;
  if (Buffer.isBuffer(data)) data = data.toString('utf8');
  if (typeof data === 'string' && data.trim().startsWith('{')) {
    try {
      data = JSON.parse(data);
    } catch {
      // left as text: the parser refuses it with a clear error
    }
  }
  if (data === undefined && typeof ce.data_base64 === 'string') {
    const text = decodeBase64Strict(ce.data_base64, 'CloudEvent data_base64').toString('utf8');
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new EventInvalidError(`CloudEvent data_base64 is not JSON: ${(error as Error).message}`, {
        id: ce.id,
      });
    }
  }
  return { ...(ce as unknown as CloudEventLike), data };
}
