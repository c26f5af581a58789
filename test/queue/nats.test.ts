import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { openNatsQueue } from '../../src/queue/nats/queue.js';
import { testQueue } from '../conformance/queue.js';
import { probeTcp, requireService, uniqueName } from '../helpers/services.js';

const [host = '127.0.0.1', port = '4222'] = (process.env.NATS_HOST ?? '127.0.0.1:4222').split(':');
const servers = `${host}:${port}`;
const unreachable = await probeTcp(host, Number(port));

if (requireService('NATS JetStream', !unreachable, unreachable ?? '')) {
  testQueue('nats', async () => {
    const stream = uniqueName('SYQ');
    const queue = await openNatsQueue({ servers, stream });
    return {
      queue,
      async publishRaw(bodies) {
        const nc = await connect({ servers });
        try {
          const js = (await jetstreamManager(nc)).jetstream();
          for (const body of bodies) await js.publish(`${stream}.events`, body);
        } finally {
          await nc.close();
        }
      },
      async cleanup() {
        await queue.close();
        await deleteStreams(stream, `${stream}_DLQ`);
      },
    };
  });
}

async function deleteStreams(...names: string[]): Promise<void> {
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of names) await jsm.streams.delete(name).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
