import { afterAll } from 'vitest';
import { errorMessage } from '../../src/model/errors.js';
import { createPubsubClients } from '../../src/queue/pubsub/clients.js';
import { openQueue } from '../../src/queue/url.js';
import { testQueue } from '../conformance/queue.js';
import {
  createPubsubResources,
  startPubsubEmulator,
  type PubsubEmulator,
} from '../helpers/pubsub-emulator.js';
import { requireService } from '../helpers/services.js';

const started = await startPubsubEmulator().then(
  (emulator): PubsubEmulator | string => emulator,
  (error: unknown) => errorMessage(error),
);

if (
  requireService('Pub/Sub emulator', typeof started !== 'string', typeof started === 'string' ? started : '')
) {
  const emulator = started as PubsubEmulator;
  afterAll(() => emulator.stop());

  // Opened through its URL, as a deployment would; the subscription has a
  // dead-letter policy so Pub/Sub reports delivery attempts.
  testQueue('pubsub', async () => {
    const resources = await createPubsubResources(emulator.host, { deadLetterPolicy: true });
    const queue = await openQueue(resources.url, { stateDir: '/nonexistent' });
    return {
      queue,
      // Pub/Sub refuses a message with neither data nor attributes: an empty body travels with one.
      async publishRaw(bodies) {
        const clients = createPubsubClients('switchyard-test', emulator.host);
        try {
          await clients.publisher.publish({
            topic: resources.topic,
            messages: bodies.map((data) => ({ data, attributes: { producer: 'not-switchyard' } })),
          });
        } finally {
          await clients.close();
        }
      },
      async cleanup() {
        await queue.close();
        await resources.remove();
      },
    };
  });
}
