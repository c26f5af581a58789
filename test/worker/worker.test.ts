import { afterEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/model/errors.js';
import { runWorker, type WorkerOptions, type WorkerStats } from '../../src/drains/worker.js';
import { MemoryQueue } from '../../src/queue/memory/queue.js';
import type { Queue } from '../../src/queue/types.js';
import { FsStore } from '../../src/storage/fs/store.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';
import { until } from '../helpers/until.js';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,route_id
land,in,\\.dat$,warehouse,landed,,move,fail,main
`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const FAST: WorkerOptions = {
  waitMs: 20,
  progressEveryMs: 0,
  tempMaxAgeMs: 0,
  baseDelayMs: 20,
  maxDelayMs: 200,
};

/** The queue as the worker sees it; closing it leaves the shared queue open for the test's checks. */
function view(queue: Queue, overrides: Partial<Queue> = {}): Queue {
  return Object.assign(Object.create(queue) as Queue, { close: async () => undefined }, overrides);
}

/** How the worker tests wait: up to 10 s, every 10 ms. */
const WORKER_WAIT = { timeoutMs: 10_000, everyMs: 10 };

describe('runWorker', () => {
  let f: RouterFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  async function land(count: number, queue: Queue): Promise<string[]> {
    const names = Array.from({ length: count }, (_, i) => `f${i}.dat`);
    for (const n of names) await f!.ws.put(`land/in/${n}`, `body of ${n}\n`);
    await queue.publish(names.map((n) => f!.event(`land/in/${n}`)));
    return names;
  }

  it('routes what is queued, also what arrives while it runs; acks each message; exits once idle', async () => {
    f = await routerFixture(ROUTES);
    const queue = new MemoryQueue({ pollMs: 5 });
    const names = await land(20, queue);
    const running = runWorker(f.ctx, async () => view(queue), { ...FAST, concurrency: 4, idleExitMs: 300 });
    await until(
      async () => (await f!.ws.files()).filter((p) => p.startsWith('warehouse/')).length === 20,
      'the 20 files in warehouse/',
      WORKER_WAIT,
    );
    await f.ws.put('land/in/late.dat', 'late\n');
    await queue.publish([f.event('land/in/late.dat')]);
    const stats = await running;
    expect(stats).toMatchObject({
      pulled: 21,
      acked: 21,
      routed: 21,
      nacked: 0,
      deadLettered: 0,
      inHand: 0,
      stoppedBy: 'idle',
    });
    expect(await f.ws.files()).toEqual([...names, 'late.dat'].map((n) => `warehouse/landed/${n}`).sort());
    expect(await queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
  });

  it('with --wait 0, an empty pull still lets the work in hand go on: no busy loop, no lease run out, an idle exit', async () => {
    f = await routerFixture(ROUTES);
    const queue = new MemoryQueue({ pollMs: 5 });
    const names = await land(40, queue);
    let pulls = 0;
    const counted = view(queue, {
      pull: (...args: Parameters<Queue['pull']>) => {
        pulls++;
        return queue.pull(...args);
      },
    });
    const stats = await runWorker(f.ctx, async () => counted, {
      ...FAST,
      waitMs: 0,
      leaseMs: 5_000,
      concurrency: 4,
      maxBatch: 4,
      idleExitMs: 200,
    });
    expect(stats).toMatchObject({
      pulled: 40,
      acked: 40,
      routed: 40,
      skipped: 0,
      inHand: 0,
      stoppedBy: 'idle',
    });
    expect(await f.ws.files()).toEqual(names.map((n) => `warehouse/landed/${n}`).sort());
    // about one pull every 10 ms once the queue is dry, not thousands
    expect(pulls).toBeLessThan(200);
  });

  it('stopping mid-run: work in hand finishes and is acked; messages not started go back at once', async () => {
    f = await routerFixture(ROUTES);
    const slowRename = async function (this: FsStore, ...args: Parameters<NonNullable<FsStore['rename']>>) {
      await sleep(100);
      return FsStore.prototype.rename.apply(this, args);
    };
    // moves routed together go through renameMany: slowed alike
    const slowRenameMany = async function (
      this: FsStore,
      ...args: Parameters<NonNullable<FsStore['renameMany']>>
    ) {
      await sleep(100);
      return FsStore.prototype.renameMany.apply(this, args);
    };
    const store = f.wrap('warehouse', {});
    Object.defineProperty(store, 'rename', { value: slowRename.bind(store) });
    Object.defineProperty(store, 'renameMany', { value: slowRenameMany.bind(store) });
    const queue = new MemoryQueue({ pollMs: 5 });
    await land(12, queue);
    const stop = new AbortController();
    const running = runWorker(f.ctx, async () => view(queue), {
      ...FAST,
      concurrency: 2,
      maxBatch: 6,
      signal: stop.signal,
    });
    await until(
      async () => (await f!.ws.files()).some((p) => p.startsWith('warehouse/')),
      'a file in warehouse/',
      WORKER_WAIT,
    );
    stop.abort();
    const stats: WorkerStats = await running;
    expect(stats.stoppedBy).toBe('signal');
    expect(stats.handedBack).toBeGreaterThan(0);
    expect(stats.acked + stats.handedBack).toBe(stats.pulled);
    const files = await f.ws.files();
    const delivered = files.filter((p) => p.startsWith('warehouse/')).length;
    expect(delivered).toBe(stats.acked);
    expect(files.filter((p) => p.startsWith('land/'))).toHaveLength(12 - stats.acked);
    expect(await queue.stats()).toMatchObject({ depth: 12 - stats.acked, inFlight: 0, dead: 0 });
  });

  it('a backend outage pauses pulls and nacks: never dead-lettered, whatever the attempts; all routed once it is back', async () => {
    f = await routerFixture(ROUTES);
    let down = true;
    const source = f.wrap('land', {});
    const stat = source.stat.bind(source);
    Object.defineProperty(source, 'stat', {
      value: async (bucket: string, key: string) => {
        if (down)
          throw new TransientError('E_BACKEND', '[switchyard] [test] source store unreachable', {
            bucket,
            key,
          });
        return stat(bucket, key);
      },
    });
    const queue = new MemoryQueue({ pollMs: 5 });
    const names = await land(5, queue);
    const stop = new AbortController();
    const running = runWorker(f.ctx, async () => view(queue), {
      ...FAST,
      concurrency: 5,
      maxAttempts: 1,
      signal: stop.signal,
    });
    await sleep(300);
    down = false;
    await until(
      async () => (await f!.ws.files()).filter((p) => p.startsWith('warehouse/')).length === 5,
      'the 5 files in warehouse/',
      WORKER_WAIT,
    );
    await until(
      async () => (await queue.stats()).depth + (await queue.stats()).inFlight === 0,
      'an empty queue',
      WORKER_WAIT,
    );
    stop.abort();
    const stats = await running;
    expect(stats.outages).toBeGreaterThanOrEqual(1);
    expect(stats).toMatchObject({ deadLettered: 0, acked: 5 });
    expect(stats.nacked).toBeGreaterThanOrEqual(5);
    expect(await queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
    expect(await f.ws.files()).toEqual(names.map((n) => `warehouse/landed/${n}`));
  });

  it('a queue that keeps failing is closed and opened again; nothing is lost meanwhile', async () => {
    f = await routerFixture(ROUTES);
    const queue = new MemoryQueue({ pollMs: 5 });
    const names = await land(8, queue);
    let failures = 3;
    let opens = 0;
    let closes = 0;
    const open = async (): Promise<Queue> => {
      opens++;
      return view(queue, {
        pull: async (max: number, leaseMs: number, waitMs?: number) => {
          if (failures-- > 0) throw new TransientError('E_BACKEND', '[switchyard] [test] broker unreachable');
          return queue.pull(max, leaseMs, waitMs);
        },
        close: async () => {
          closes++;
        },
      });
    };
    const stats = await runWorker(f.ctx, open, { ...FAST, concurrency: 4, idleExitMs: 300 });
    expect(stats.queueErrors).toBe(3);
    expect(stats.queueReconnects).toBeGreaterThanOrEqual(1);
    expect(opens).toBeGreaterThanOrEqual(2);
    expect(closes).toBe(opens);
    expect(stats).toMatchObject({ acked: 8, deadLettered: 0 });
    expect(await f.ws.files()).toEqual(names.map((n) => `warehouse/landed/${n}`));
  });

  it('malformed messages are dead-lettered, ignored ones acked, and the same object twice in hand routed once', async () => {
    f = await routerFixture(ROUTES);
    await f.ws.put('land/in/a.dat', 'a\n');
    const event = f.event('land/in/a.dat');
    const messages = [
      { id: 'm1', event, attempts: 1, enqueuedAt: Date.now() },
      { id: 'm2', event, attempts: 1, enqueuedAt: Date.now() },
      { id: 'm3', event: { ...event, key: '' }, attempts: 1, enqueuedAt: Date.now(), malformed: 'not JSON' },
      { id: 'm4', event, attempts: 1, enqueuedAt: Date.now(), ignore: 'OBJECT_DELETE' },
    ];
    const calls: string[] = [];
    const scripted = view(new MemoryQueue(), {
      pull: async () => messages.splice(0),
      ack: async (ids: string[]) => void calls.push(...ids.map((id) => `ack ${id}`)),
      nack: async (id: string) => void calls.push(`nack ${id}`),
      deadLetter: async (id: string) => void calls.push(`dead ${id}`),
    });
    const stats = await runWorker(f.ctx, async () => scripted, { ...FAST, idleExitMs: 200 });
    expect(calls.sort()).toEqual(['ack m1', 'ack m2', 'ack m4', 'dead m3']);
    expect(stats).toMatchObject({ routed: 1, malformed: 1, ignored: 1, acked: 3, deadLettered: 1 });
    expect(await f.ws.files()).toEqual(['warehouse/landed/a.dat']);
  });

  it('two events of one object naming no generation (S3, unversioned) are told apart by their ids', async () => {
    f = await routerFixture(ROUTES);
    await f.ws.put('land/in/a.dat', 'a\n');
    const { generation: _named, ...event } = f.event('land/in/a.dat');
    const messages = ['e1', 'e2', 'e2'].map((eventId, i) => ({
      id: `m${i}`,
      event: { ...event, eventId },
      attempts: 1,
      enqueuedAt: Date.now(),
    }));
    const scripted = view(new MemoryQueue(), { pull: async () => messages.splice(0) });
    const routed: Array<string | undefined> = [];
    const route = f.ctx.router.route.bind(f.ctx.router);
    f.ctx.router.route = (e) => {
      routed.push(e.eventId);
      return route(e);
    };
    await runWorker(f.ctx, async () => scripted, { ...FAST, idleExitMs: 200 });
    // a write after the routing of e1 looked would be e2's alone: it gets its own look
    expect(routed.sort()).toEqual(['e1', 'e2']);
  });

  it('dead-letters unreadable bodies on the queue with E_MESSAGE_UNREADABLE and routes the messages after them', async () => {
    f = await routerFixture(ROUTES);
    const queue = new MemoryQueue({ pollMs: 5 });
    const bodies = ['', '{"bucket":', Buffer.from([0xc3, 0x28]), '{"bucket":"in"}'];
    queue.publishBodies(bodies);
    const names = await land(3, queue);
    const stats = await runWorker(f.ctx, async () => view(queue), { ...FAST, idleExitMs: 300 });
    expect(stats).toMatchObject({ routed: 3, acked: 3, malformed: 4, deadLettered: 4 });
    expect(await f.ws.files()).toEqual(names.map((n) => `warehouse/landed/${n}`));
    expect(await queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 4 });
    const dead = await queue.listDeadLetters(10);
    expect(dead.map((d) => [d.reason.split(':')[0], d.raw?.bytes])).toEqual(
      bodies.map((b) => ['E_MESSAGE_UNREADABLE', Buffer.byteLength(b)]),
    );
  });
});
