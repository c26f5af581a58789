import type { IntakeAnswer } from '../../intake/intake.js';
import { cloudRuntime, handleLambdaEvent, type SqsBatchResponse } from './handler.js';

// Cloud entry points are an edge: configuration comes from the environment (see cloudFlags).
// eslint-disable-next-line no-restricted-properties
const runtime = cloudRuntime(process.env);

/**
 * AWS Lambda handler (`--handler dist/triggers/cloud/aws.handler`): any notification
 * `decodeNotification` reads, as the event (S3 → Lambda, EventBridge), in SNS
 * records (S3 → SNS → Lambda) or in SQS records (answered with
 * `batchItemFailures` for a partial batch response). Resolves once each
 * object is routed; throws on a transient failure so Lambda retries.
 */
export const handler = async (event: unknown): Promise<SqsBatchResponse | IntakeAnswer | undefined> =>
  handleLambdaEvent(await runtime.get(), event);

/** Closes this instance's context (tests). */
export function closeAwsRuntime(): Promise<void> {
  return runtime.close();
}
