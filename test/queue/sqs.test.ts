import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll } from 'vitest';
import { errorMessage } from '../../src/errors.js';
import { openQueue } from '../../src/queue/url.js';
import { testQueue } from '../conformance/queue.js';
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
  testQueue('sqs', async () => {
    const name = uniqueName('sy');
    const dead = await admin.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const main = await admin.send(new CreateQueueCommand({ QueueName: name }));
    const url = `${toSqsUrl(main.QueueUrl)}?endpoint=${encodeURIComponent(fauxqs.endpoint)}&deadLetter=${encodeURIComponent(toSqsUrl(dead.QueueUrl))}`;
    const queue = await openQueue(url, { stateDir: '/nonexistent', env: {} });
    return {
      queue,
      async cleanup() {
        await queue.close();
        for (const QueueUrl of [main.QueueUrl, dead.QueueUrl])
          await admin.send(new DeleteQueueCommand({ QueueUrl }));
      },
    };
  });
}

function toSqsUrl(queueUrl: string | undefined): string {
  return (queueUrl ?? '').replace(/^https?:/, 'sqs:');
}
