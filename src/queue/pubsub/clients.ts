import { PubSub, v1 } from '@google-cloud/pubsub';

/** The fields of a pulled Pub/Sub message switchyard reads (protobuf `ReceivedMessage`). */
export interface ReceivedMessage {
  ackId?: string | null;
  deliveryAttempt?: number | null;
  message?: {
    data?: Uint8Array | string | null;
    attributes?: Record<string, string> | null;
    messageId?: string | null;
    publishTime?: { seconds?: unknown; nanos?: number | null } | null;
  } | null;
}

export interface PubsubClients {
  subscriber: v1.SubscriberClient;
  publisher: v1.PublisherClient;
  close(): Promise<void>;
}

/**
 * The low-level (v1) publisher and subscriber clients: synchronous pull,
 * explicit ack deadlines. With `emulatorHost` they talk plaintext gRPC to the
 * Pub/Sub emulator without credentials; otherwise Application Default Credentials.
 */
export function createPubsubClients(projectId: string, emulatorHost?: string): PubsubClients {
  const options = emulatorHost ? emulatorOptions(projectId, emulatorHost) : { projectId };
  const subscriber = new v1.SubscriberClient(options);
  const publisher = new v1.PublisherClient(options);
  return {
    subscriber,
    publisher,
    close: async () => {
      await Promise.allSettled([subscriber.close(), publisher.close()]);
    },
  };
}

/** What the PubSub class derives for an emulator endpoint (plaintext channel credentials included). */
function emulatorOptions(
  projectId: string,
  emulatorHost: string,
): ConstructorParameters<typeof v1.SubscriberClient>[0] {
  const { port, ...rest } = new PubSub({ projectId, apiEndpoint: emulatorHost, emulatorMode: true }).options;
  // A fixed universe domain keeps google-auth-library from probing the GCE metadata server for one.
  return {
    ...rest,
    ...(port !== undefined ? { port: Number(port) } : {}),
    clientOptions: { universeDomain: 'googleapis.com' },
  };
}

export function messageData(received: ReceivedMessage): Uint8Array {
  const data = received.message?.data;
  if (!data) return new Uint8Array();
  return typeof data === 'string' ? Buffer.from(data, 'base64') : data;
}

/** epoch ms of a protobuf Timestamp; `fallback` when absent. */
export function timestampMs(
  time: { seconds?: unknown; nanos?: number | null } | null | undefined,
  fallback: number,
): number {
  if (!time || time.seconds === undefined || time.seconds === null) return fallback;
  const seconds = Number(String(time.seconds));
  return Number.isFinite(seconds) ? seconds * 1_000 + Math.floor((time.nanos ?? 0) / 1_000_000) : fallback;
}

/** gRPC status codes that retrying will not fix. */
export function isPermanentGrpc(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 3 || code === 5 || code === 7 || code === 9 || code === 16;
}

export function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export const GRPC_INVALID_ARGUMENT = 3;
export const GRPC_DEADLINE_EXCEEDED = 4;
