import { parseQueueUrl } from '../queue/url.js';
import { https } from '../util/builtins.js';
import type { NotifyTarget } from '../referential/notify-url.js';

/** Sends one message body to one notify target; `close` frees its connection. */
export interface Publisher {
  send(body: string): Promise<void>;
  close(): Promise<void>;
}

export interface PublisherOptions {
  /** Environment for AWS credentials and region, `PUBSUB_EMULATOR_HOST` (never process.env here). */
  env?: Record<string, string | undefined>;
  /** Extra trusted certificates for `https://` targets (PEM), as for a private CA. */
  ca?: string | Buffer;
  /** How long one send may take before it fails (default 10 s). */
  timeoutMs?: number;
}

/** Opens the client of a target; each backend's SDK is imported only when a row names it. */
export async function openPublisher(
  target: NotifyTarget,
  options: PublisherOptions = {},
): Promise<Publisher> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  switch (target.scheme) {
    case 'https':
      return httpsPublisher(target.url, options.ca, timeoutMs);
    case 'sqs':
      return sqsPublisher(target.url, options.env ?? {});
    case 'pubsub':
      return pubsubPublisher(target, options.env ?? {});
    case 'nats':
      return natsPublisher(target);
  }
}

/** One POST of the JSON body; any answer other than 2xx is a failure naming its status. */
function httpsPublisher(url: string, ca: string | Buffer | undefined, timeoutMs: number): Publisher {
  return {
    send: (body) =>
      new Promise<void>((resolve, reject) => {
        const req = https().request(
          url,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
            timeout: timeoutMs,
            ...(ca !== undefined ? { ca } : {}),
          },
          (res) => {
            res.resume();
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`expected a 2xx answer, got HTTP ${status}`));
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end(body);
      }),
    close: async () => undefined,
  };
}

async function sqsPublisher(url: string, env: Record<string, string | undefined>): Promise<Publisher> {
  const spec = parseQueueUrl(url, { stateDir: '', env });
  if (spec.kind !== 'sqs') throw new Error(`expected an sqs:// URL, got ${spec.kind}`);
  const { SQSClient, SendMessageCommand } = await import('@aws-sdk/client-sqs');
  const { queueUrl, region, endpoint, credentials } = spec.options;
  const client = new SQSClient({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  });
  return {
    send: async (body) =>
      void (await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }))),
    close: async () => client.destroy(),
  };
}

async function pubsubPublisher(
  target: Extract<NotifyTarget, { scheme: 'pubsub' }>,
  env: Record<string, string | undefined>,
): Promise<Publisher> {
  const { createPubsubClients } = await import('../queue/pubsub/clients.js');
  const emulator = target.emulator ?? env.PUBSUB_EMULATOR_HOST?.replace(/^https?:\/\//, '');
  const clients = createPubsubClients(target.project, emulator);
  return {
    send: async (body) =>
      void (await clients.publisher.publish({
        topic: target.topic,
        messages: [{ data: Buffer.from(body), attributes: { 'content-type': 'application/json' } }],
      })),
    close: () => clients.close(),
  };
}

async function natsPublisher(target: Extract<NotifyTarget, { scheme: 'nats' }>): Promise<Publisher> {
  const { connect } = await import('@nats-io/transport-node');
  const nc = await connect({
    servers: target.servers.split(','),
    name: 'switchyard-notify',
    ...(target.user !== undefined ? { user: target.user, pass: target.pass ?? '' } : {}),
    ...(target.token !== undefined ? { token: target.token } : {}),
  });
  return {
    send: async (body) => {
      nc.publish(target.subject, body);
      // the server has the message once it answered the flush's ping
      await nc.flush();
    },
    close: () => nc.close(),
  };
}
