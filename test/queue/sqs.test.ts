import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll } from 'vitest';
import { errorMessage } from '../../src/model/errors.js';
import { openQueue } from '../../src/queue/url.js';
import { testQueue, unreadableTitle } from '../conformance/queue.js';
import { startFauxqs, type Fauxqs } from '../helpers/fauxqs.js';
import { requireService, uniqueName } from '../helpers/services.js';

const started = await startFauxqs().then(
  (server): Fauxqs | string => server,
  (error: unknown) => errorMessage(error),
);

if (
  requireService(
    'fauxqs (SQS emulator)',
    typeof started !== 'string',
    typeof started === 'string' ? started : '',
  )
) {
  const fauxqs = started as Fauxqs;
  const admin = new SQSClient({
    endpoint: fauxqs.endpoint,
    region: fauxqs.region,
    credentials: fauxqs.credentials,
  });
  afterAll(async () => {
    admin.destroy();
    await fauxqs.stop();
  });

  // Opened through its URL, as a deployment would: sqs://HOST/ACCOUNT/QUEUE?endpoint=…&deadLetter=…
  testQueue(
    'sqs',
    async () => {
      const name = uniqueName('sy');
      const dead = await admin.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
      const main = await admin.send(new CreateQueueCommand({ QueueName: name }));
      const url = `${toSqsUrl(main.QueueUrl)}?endpoint=${encodeURIComponent(fauxqs.endpoint)}&deadLetter=${encodeURIComponent(toSqsUrl(dead.QueueUrl))}`;
      const queue = await openQueue(url, { stateDir: '/nonexistent', env: {} });
      return {
        queue,
        async publishRaw(bodies) {
          for (const body of bodies)
            await admin.send(
              new SendMessageCommand({ QueueUrl: main.QueueUrl, MessageBody: body.toString('utf8') }),
            );
        },
        async cleanup() {
          await queue.close();
          for (const QueueUrl of [main.QueueUrl, dead.QueueUrl])
            await admin.send(new DeleteQueueCommand({ QueueUrl }));
        },
      };
    },
    {
      skip: {
        [unreadableTitle('empty body')]: 'SQS refuses an empty message body (at least 1 character)',
        [unreadableTitle('non-UTF-8 bytes')]:
          'an SQS message body is Unicode text: other bytes cannot be sent',
      },
    },
  );
}

function toSqsUrl(queueUrl: string | undefined): string {
  return (queueUrl ?? '').replace(/^https?:/, 'sqs:');
}
