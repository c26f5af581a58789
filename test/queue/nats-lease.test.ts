// JetStream-only behaviour the queue conformance suite cannot express: leases
// longer than the consumer's ack wait (kept alive with +WPI by this process),
// the client-side max_deliver that dead-letters instead of stranding a message,
// ids (ack subjects) usable from another process, and raw bodies that are not
// switchyard events.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { openNatsQueue, type NatsQueueOptions } from '../../src/queue/nats/queue.js';
import type { Queue } from '../../src/queue/types.js';
import { probeTcp, requireService, uniqueName } from '../helpers/services.js';

const [host = '127.0.0.1', port = '4222'] = (process.env.NATS_HOST ?? '127.0.0.1:4222').split(':');
const servers = `${host}:${port}`;
const unreachable = await probeTcp(host, Number(port));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const event = { origin: 'manual', bucket: 'in', key: 'a.csv' } as const;

if (requireService('NATS JetStream', !unreachable, unreachable ?? '')) {
  const streams: string[] = [];
  const queues: Queue[] = [];
  afterEach(async () => {
    for (const queue of queues.splice(0)) await queue.close();
    const nc = await connect({ servers });
    const jsm = await jetstreamManager(nc);
    for (const name of streams.splice(0)) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  });

  const open = async (
    options: Partial<NatsQueueOptions> = {},
    stream = uniqueName('SYQ'),
  ): Promise<Queue> => {
    streams.push(stream, `${stream}_DLQ`);
    const queue = await openNatsQueue({ servers, stream, ...options });
    queues.push(queue);
    return queue;
  };

  describe('NATS queue: leases, max deliveries, ids', () => {
    it('keeps a lease longer than the ack wait, then hands the message back', async () => {
      const queue = await open({ ackWaitMs: 1_000 });
      await queue.publish([event]);
      const [first] = await queue.pull(1, 2_500);
      await sleep(1_800);
      expect(await queue.pull(1, 30_000)).toEqual([]);
      const [second] = await queue.pull(1, 30_000, 3_000);
      expect(second).toMatchObject({ event, attempts: 2 });
      expect(second?.id).not.toBe(first?.id);
      await queue.ack([second?.id as string]);
    });

    it('dead-letters a message delivered more than maxDeliver times instead of returning it', async () => {
      const queue = await open({ maxDeliver: 2 });
      await queue.publish([event]);
      for (let attempt = 1; attempt <= 2; attempt += 1) {
        const [message] = await queue.pull(1, 30_000, 2_000);
        expect(message?.attempts).toBe(attempt);
        await queue.nack(message?.id as string, 0);
      }
      expect(await queue.pull(1, 30_000, 1_000)).toEqual([]);
      const [dead] = await queue.listDeadLetters(10);
      expect(dead).toMatchObject({ event, attempts: 3, reason: 'delivered 3 times (maxDeliver 2)' });
      expect(await queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 1 });
    });

    it('acks and dead-letters by id from another process', async () => {
      const stream = uniqueName('SYQ');
      const worker = await open({}, stream);
      const other = await openNatsQueue({ servers, stream });
      queues.push(other);
      await worker.publish([event, { ...event, key: 'b.csv' }]);
      const [a, b] = await worker.pull(2, 30_000, 1_000);
      await other.ack([a?.id as string]);
      await other.deadLetter(b?.id as string, 'from elsewhere');
      expect((await worker.listDeadLetters(10)).map((d) => [d.event.key, d.reason])).toEqual([
        ['b.csv', 'from elsewhere'],
      ]);
      expect(await worker.stats()).toMatchObject({ depth: 0, inFlight: 0 });
    });

    it('returns a body that is not a switchyard event as malformed and keeps it verbatim through the dead letters', async () => {
      const stream = uniqueName('SYQ');
      const queue = await open({}, stream);
      const nc = await connect({ servers });
      const js = (await jetstreamManager(nc)).jetstream();
      await js.publish(`${stream}.events`, 'hello');
      await nc.close();
      const [bad] = await queue.pull(1, 30_000, 1_000);
      expect(bad?.malformed).toMatch(/not JSON/);
      await queue.deadLetter(bad?.id as string, 'E_EVENT_INVALID');
      expect(await queue.retryDeadLetters()).toBe(1);
      const [again] = await queue.pull(1, 30_000, 1_000);
      expect(again?.malformed).toMatch(/not JSON/);
      await queue.ack([again?.id as string]);
    });
  });
}
