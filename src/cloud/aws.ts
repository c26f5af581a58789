import type { DispatchVerdict } from '../http/dispatch.js';
import { cloudRuntime, handleLambdaEvent, type SqsBatchResponse } from './handler.js';

// Cloud entry points are an edge: configuration comes from the environment (see cloudFlags).
// eslint-disable-next-line no-restricted-properties
const runtime = cloudRuntime(process.env);

/**
 * AWS Lambda handler (`--handler dist/cloud/aws.handler`): S3 event
 * notifications (S3 → Lambda), SQS records carrying them (S3 → SQS →
 * Lambda, answered with `batchItemFailures` for a partial batch response),
 * SNS records, EventBridge `Object Created` events. Resolves once each
 * object is routed; throws on a transient failure so Lambda retries.
 */
export const handler = async (event: unknown): Promise<SqsBatchResponse | DispatchVerdict | undefined> =>
  handleLambdaEvent(await runtime.get(), event);

/** Closes this instance's context (tests). */
export function closeAwsRuntime(): Promise<void> {
  return runtime.close();
}
