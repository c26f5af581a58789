import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectEvent } from '../../src/model/event.js';
import { drain } from '../../src/drains/batch.js';
import { listDeadLetters } from '../../src/drains/batch-dead-letters.js';
import { RAW_BODY_LIMIT } from '../../src/queue/raw-body.js';
import type { Queue, QueueMessage } from '../../src/queue/types.js';
import { routerFixture } from '../helpers/router-fixture.js';

export interface QueueFixture {
  queue: Queue;
  /**
   * Publishes message bodies byte for byte to the queue, as a producer other
   * than switchyard would (a body need not be an event, nor UTF-8, nor non-empty).
   */
  publishRaw(bodies: Buffer[]): Promise<void>;
  cleanup(): Promise<void>;
}

/** Bodies no backend may choke on: each is dead-lettered with E_MESSAGE_UNREADABLE. */
export const UNREADABLE_BODIES: ReadonlyArray<{ name: string; body: Buffer }> = [
  { name: 'empty body', body: Buffer.alloc(0) },
  {
    name: 'truncated JSON longer than the kept bytes',
    body: Buffer.from(`{"bucket":"in","origin":"manual","key":"${'x'.repeat(2 * RAW_BODY_LIMIT)}`),
  },
  { name: 'non-UTF-8 bytes', body: Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x00, 0x80, 0x7d]) },
  { name: 'valid JSON of the wrong shape', body: Buffer.from('{"hello":"world","records":[1,2,3]}') },
];

/** The conformance test name of an unreadable body (to declare a skip). */
export function unreadableTitle(name: string): string {
  return `an unreadable message (${name}) is dead-lettered with E_MESSAGE_UNREADABLE and its raw bytes; the drain routes the rest`;
}

const DRAIN_ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
land,in,\\.csv$,finance,raw,
`;

export interface QueueSuiteOptions {
  /** Test name → why this backend cannot pass it. */
  skip?: Record<string, string>;
}

/** Short leases keep the suite quick; waits of 3× a lease keep a loaded 2-core machine from flaking. */
const LEASE = 200;
const PAST_LEASE = 3 * LEASE;
const LONG = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function event(n: number, overrides: Partial<ObjectEvent> = {}): ObjectEvent {
  return {
    project: 'p',
    bucket: 'in',
    key: `f-${n}.csv`,
    generation: `g${n}`,
    origin: 'manual',
    ...overrides,
  };
}

/** Pulls until `count` messages arrived or `ms` passed (backends may deliver in several batches). */
async function pullAll(queue: Queue, count: number, leaseMs: number, ms = 3_000): Promise<QueueMessage[]> {
  const got: QueueMessage[] = [];
  const deadline = Date.now() + ms;
  while (got.length < count && Date.now() < deadline)
    got.push(...(await queue.pull(count - got.length, leaseMs, 200)));
  return got;
}

/**
 * Proves the Queue contract (src/queue/types.ts). Each test gets a fresh,
 * empty queue from `factory`. What a backend cannot do is a capability flag
 * (checked here) or a skip declared by test name with its reason.
 */
export function testQueue(
  name: string,
  factory: () => Promise<QueueFixture>,
  options: QueueSuiteOptions = {},
): void {
  describe(`Queue conformance: ${name}`, () => {
    let fixture: QueueFixture;
    let queue: Queue;

    beforeEach(async () => {
      fixture = await factory();
      queue = fixture.queue;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    const test = (title: string, fn: () => Promise<void>, unsupported?: () => string | undefined): void => {
      const reason = options.skip?.[title];
      if (reason) {
        it.skip(`${title} (skipped: ${reason})`, fn);
        return;
      }
      it(title, async (context) => {
        const why = unsupported?.();
        if (why) context.skip(why);
        else await fn();
      });
    };

    test('publish, pull and ack a message', async () => {
      const sent = event(1, {
        size: 42,
        crc32c: 'AAAAAA==',
        eventTime: '2024-01-02T03:04:05.000Z',
        eventId: 'e-1',
        origin: 'gcs',
      });
      const before = Date.now();
      await queue.publish([sent]);
      const [message, ...more] = await pullAll(queue, 1, LONG);
      expect(more).toEqual([]);
      expect(message?.event).toEqual(sent);
      expect(message?.attempts).toBe(1);
      expect(message?.enqueuedAt).toBeGreaterThanOrEqual(before - 1_000);
      expect(message?.enqueuedAt).toBeLessThanOrEqual(Date.now() + 1_000);
      await queue.ack([message?.id as string]);
      expect(await queue.pull(10, LONG)).toEqual([]);
      await queue.publish([]);
    });

    test('pull returns at most max messages', async () => {
      await queue.publish([1, 2, 3, 4, 5].map((n) => event(n)));
      const first = await queue.pull(2, LONG, 1_000);
      expect(first.length).toBeGreaterThan(0);
      expect(first.length).toBeLessThanOrEqual(2);
      const rest = await pullAll(queue, 5 - first.length, LONG);
      const keys = [...first, ...rest].map((m) => m.event.key).sort();
      expect(keys).toEqual([1, 2, 3, 4, 5].map((n) => `f-${n}.csv`));
      await queue.ack([...first, ...rest].map((m) => m.id));
    });

    test('a leased message is hidden from other pulls', async () => {
      await queue.publish([event(1)]);
      const [message] = await pullAll(queue, 1, LONG);
      expect(message).toBeDefined();
      expect(await queue.pull(10, LONG, LEASE)).toEqual([]);
      await queue.ack([message?.id as string]);
    });

    test('an expired lease redelivers the message with attempts + 1', async () => {
      await queue.publish([event(1)]);
      const [first] = await pullAll(queue, 1, LEASE);
      await sleep(PAST_LEASE);
      const [second] = await pullAll(queue, 1, LONG);
      expect(second?.event).toEqual(event(1));
      expect(second?.attempts).toBe(2);
      expect(second?.id).not.toBe(first?.id);
      await queue.ack([second?.id as string]);
    });

    test('acking a stale, unknown or malformed id is a no-op', async () => {
      await queue.publish([event(1)]);
      const [first] = await pullAll(queue, 1, LEASE);
      await sleep(PAST_LEASE);
      const [second] = await pullAll(queue, 1, LEASE);
      expect(second).toBeDefined();
      await queue.ack([first?.id as string, 'unknown', '', '999999:abc']);
      await sleep(PAST_LEASE);
      const [third] = await pullAll(queue, 1, LONG);
      expect(third?.event).toEqual(event(1));
      expect(third?.attempts).toBe(3);
      await queue.ack([third?.id as string]);
      expect(await queue.pull(10, LONG)).toEqual([]);
    });

    test(
      'nack with a delay hides the message until the delay has passed',
      async () => {
        await queue.publish([event(1)]);
        const [first] = await pullAll(queue, 1, LONG);
        await queue.nack(first?.id as string, 2 * LEASE);
        expect(await queue.pull(10, LONG)).toEqual([]);
        await sleep(3 * 2 * LEASE);
        const [again] = await pullAll(queue, 1, LONG);
        expect(again?.event).toEqual(event(1));
        expect(again?.attempts).toBe(2);
        await queue.ack([again?.id as string]);
      },
      () => (queue.capabilities.nackDelay ? undefined : 'capabilities.nackDelay is false'),
    );

    test('nack without delay makes the message deliverable again', async () => {
      await queue.publish([event(1)]);
      const [first] = await pullAll(queue, 1, LONG);
      await queue.nack(first?.id as string, 0);
      const [again] = await pullAll(queue, 1, LONG, 10_000);
      expect(again?.event).toEqual(event(1));
      expect(again?.attempts).toBe(2);
      await queue.ack([again?.id as string]);
    });

    test('extend keeps a message hidden past its first lease', async () => {
      await queue.publish([event(1)]);
      const [message] = await pullAll(queue, 1, LEASE);
      await queue.extend([message?.id as string], LONG);
      await sleep(PAST_LEASE);
      expect(await queue.pull(10, LONG)).toEqual([]);
      await queue.ack([message?.id as string]);
      await sleep(PAST_LEASE);
      expect(await queue.pull(10, LONG)).toEqual([]);
    });

    test('deadLetter takes a message out of the queue', async () => {
      await queue.publish([event(1)]);
      const [message] = await pullAll(queue, 1, LEASE);
      await queue.deadLetter(message?.id as string, 'E_KEY_UNSAFE: bad key');
      await sleep(PAST_LEASE);
      expect(await queue.pull(10, LONG)).toEqual([]);
    });

    test(
      'dead letters are listed, retried and purged',
      async () => {
        await queue.publish([event(1), event(2), event(3)]);
        const messages = await pullAll(queue, 3, LONG);
        for (const m of messages) await queue.deadLetter(m.id, `reason ${m.event.key}`);
        const dead = await queue.listDeadLetters(10);
        expect(dead.map((d) => d.event.key).sort()).toEqual(['f-1.csv', 'f-2.csv', 'f-3.csv']);
        for (const d of dead) {
          expect(d.reason).toBe(`reason ${d.event.key}`);
          expect(d.attempts).toBe(1);
          expect(d.deadAt).toBeGreaterThanOrEqual(d.enqueuedAt);
        }
        expect(await queue.listDeadLetters(1)).toHaveLength(1);
        const one = dead.find((d) => d.event.key === 'f-1.csv');
        expect(await queue.retryDeadLetters([one?.id as string])).toBe(1);
        const [revived] = await pullAll(queue, 1, LONG);
        expect(revived?.event).toEqual(event(1));
        expect(revived?.attempts).toBe(1);
        await queue.ack([revived?.id as string]);
        expect(await queue.purgeDeadLetters()).toBe(2);
        expect(await queue.listDeadLetters(10)).toEqual([]);
        expect(await queue.retryDeadLetters()).toBe(0);
        expect(await queue.pull(10, LONG)).toEqual([]);
      },
      () => (queue.capabilities.deadLetterAdmin ? undefined : 'capabilities.deadLetterAdmin is false'),
    );

    test('stats counts waiting, in-flight and dead messages', async () => {
      await queue.publish([event(1), event(2), event(3), event(4)]);
      const leased = await pullAll(queue, 2, LONG);
      await queue.deadLetter(leased[1]?.id as string, 'test');
      await sleep(20);
      const stats = await queue.stats();
      if (queue.capabilities.exactStats) {
        expect(stats).toMatchObject({ depth: 2, inFlight: 1 });
        if (queue.capabilities.deadLetterAdmin) expect(stats.dead).toBe(1);
        expect(stats.oldestAgeMs).toBeGreaterThanOrEqual(10);
      } else {
        for (const n of [stats.depth, stats.inFlight, stats.dead]) expect(n).toBeGreaterThanOrEqual(0);
      }
      await queue.ack([leased[0]?.id as string]);
      await queue.ack((await pullAll(queue, 2, LONG)).map((m) => m.id));
      const empty = await queue.stats();
      if (queue.capabilities.exactStats) {
        expect(empty).toMatchObject({ depth: 0, inFlight: 0 });
        expect(empty.oldestAgeMs).toBeUndefined();
      }
    });

    test('pull on an empty queue returns [] and a waiting pull gets what arrives meanwhile', async () => {
      expect(await queue.pull(10, LONG)).toEqual([]);
      expect(await queue.pull(10, LONG, 100)).toEqual([]);
      const waiting = queue.pull(10, LONG, 5_000);
      await sleep(100);
      await queue.publish([event(1)]);
      const got = await waiting;
      const all = got.length ? got : await pullAll(queue, 1, LONG);
      expect(all.map((m) => m.event)).toEqual([event(1)]);
      await queue.ack(all.map((m) => m.id));
    });

    for (const { name: variant, body } of UNREADABLE_BODIES) {
      test(unreadableTitle(variant), async () => {
        const routed = await routerFixture(DRAIN_ROUTES);
        try {
          for (const name of ['a.csv', 'b.csv']) await routed.ws.put(`land/in/${name}`, `${name}\n`);
          await fixture.publishRaw([body]);
          await queue.publish([routed.event('land/in/a.csv'), routed.event('land/in/b.csv')]);
          const report = await drain(routed.ctx, queue, { leaseMs: LONG, recover: false });
          expect(report).toMatchObject({ malformed: 1, deadLettered: 1, routed: 2, acked: 2, nacked: 0 });
          expect(await routed.ws.files()).toEqual(['finance/raw/a.csv', 'finance/raw/b.csv']);
          expect(await queue.pull(10, LONG, LEASE)).toEqual([]);
          if (queue.capabilities.exactStats)
            expect(await queue.stats()).toMatchObject({ depth: 0, inFlight: 0 });
          if (!queue.capabilities.deadLetterAdmin) return;

          const { entries } = await listDeadLetters(queue, routed.ctx.reports);
          expect(entries).toHaveLength(1);
          const [dead] = entries;
          expect(dead).toMatchObject({ kind: 'queue', code: 'E_MESSAGE_UNREADABLE', attempts: 1 });
          expect(dead?.reason).toMatch(
            /^E_MESSAGE_UNREADABLE: \[switchyard\] \[queue\] unreadable message: expected /,
          );
          const raw = dead?.raw;
          expect(raw).toMatchObject({ bytes: body.length, truncated: body.length > RAW_BODY_LIMIT });
          const kept = Buffer.from(raw?.text ?? '', raw?.encoding === 'base64' ? 'base64' : 'utf8');
          expect(raw?.encoding).toBe(variant === 'non-UTF-8 bytes' ? 'base64' : 'utf8');
          expect(kept.length).toBe(Math.min(body.length, RAW_BODY_LIMIT));
          expect(kept).toEqual(body.subarray(0, kept.length));

          // kept byte for byte: put back, it comes back as the same unreadable body
          expect(await queue.retryDeadLetters([dead?.id as string])).toBe(1);
          const [back, ...more] = await pullAll(queue, 1, LONG);
          expect(more).toEqual([]);
          expect(back?.malformed).toMatch(/^\[switchyard\] \[queue\] unreadable message: /);
          expect(back?.raw).toEqual(raw);
          await queue.ack([back?.id as string]);
        } finally {
          await routed.close();
        }
      });
    }

    test('1,000 messages drained by 3 concurrent consumers: each acked exactly once', async () => {
      const total = 1_000;
      for (let i = 0; i < total; i += 250)
        await queue.publish(Array.from({ length: 250 }, (_, j) => event(i + j)));
      const acked = new Map<string, number>();
      const deadline = Date.now() + 30_000;
      const consume = async (): Promise<void> => {
        while (acked.size < total && Date.now() < deadline) {
          const batch = await queue.pull(50, LONG, 200);
          for (const m of batch) acked.set(m.event.key, (acked.get(m.event.key) ?? 0) + 1);
          await queue.ack(batch.map((m) => m.id));
        }
      };
      await Promise.all([consume(), consume(), consume()]);
      expect(acked.size).toBe(total);
      expect([...acked.values()].every((n) => n === 1)).toBe(true);
      expect(await queue.pull(10, LONG)).toEqual([]);
    });
  });
}
