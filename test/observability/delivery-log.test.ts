// A log line per delivery, whatever carried it: scan, the queue's drain, the
// worker, the HTTP receiver and the folder watcher all route through the
// context's router, whose hooks write the line. Done at INFO, a transient
// failure at WARNING, a permanent one at ERROR; one `message` per line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { drain } from '../../src/drains/batch.js';
import { runWorker } from '../../src/drains/worker.js';
import { routerSink } from '../../src/intake/sink.js';
import { startEventMode } from '../../src/modes/event.js';
import { scan } from '../../src/modes/scan.js';
import { deliveryLines } from '../../src/observability/delivery-log.js';
import { MemoryQueue } from '../../src/queue/memory/queue.js';
import type { Queue } from '../../src/queue/types.js';
import type { RouteResult } from '../../src/router/result.js';
import { openContext, type Context } from '../../src/runtime/context.js';
import { startWatcher } from '../../src/triggers/fs-watch/watcher.js';
import { createLogger } from '../../src/util/log.js';
import { Workspace } from '../helpers/workspace.js';

const ROUTES = `source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,route_id
land,scan,\\.csv$,lake,raw,from-scan,move,fail,scanned
land,queue,\\.csv$,lake,raw,from-queue,move,fail,queued
land,worker,\\.csv$,lake,raw,from-worker,copy,fail,worked
land,http,\\.csv$,lake,raw,from-http,move,fail,posted
land,watch,\\.csv$,lake,raw,from-watch,move,fail,watched
`;

/** The keys of a JSON object's text as written, duplicates included (JSON.parse keeps only the last). */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(json.slice(i, end + 1)) as string);
      expectKey = false;
      i = end;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{';
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',') expectKey = depth === 1;
  }
  return keys;
}

type Entry = Record<string, unknown> & { message: string; severity: string };

describe('a log line per delivery', () => {
  const raw: string[] = [];
  let ws: Workspace;
  let ctx: Context;

  const entries = (): Entry[] => raw.map((line) => JSON.parse(line) as Entry);
  const linesFor = (route: string): Entry[] => entries().filter((e) => e.route === route);
  const event = (location: string) => {
    const [project, bucket, ...key] = location.split('/');
    return { project: project!, bucket: bucket!, key: key.join('/'), origin: 'manual' as const };
  };

  beforeAll(async () => {
    ws = await Workspace.create(ROUTES);
    const config = await loadConfig({ data: ws.data, state: `${ws.dir}/.switchyard` }, {}, ws.dir);
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => void raw.push(line) },
    });
    ctx = await openContext(config, logger, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
  });
  afterAll(async () => {
    await ws?.remove();
  });

  it('scan: INFO with source and destination as PROJECT/BUCKET/KEY, route, bytes, milliseconds, outcome', async () => {
    await ws.put('land/scan/a.csv', 'id\n1\n');
    await ws.put('land/scan/taken.csv', 'mine\n');
    await ws.put('lake/raw/from-scan/taken.csv', 'other bytes\n');
    await scan(ctx, { concurrency: 2 });

    const done = linesFor('scanned').find((e) => e.source === 'land/scan/a.csv')!;
    expect(done).toMatchObject({
      severity: 'INFO',
      message: 'delivery done',
      source: 'land/scan/a.csv',
      destination: 'lake/raw/from-scan/a.csv',
      route: 'scanned',
      action: 'move',
      outcome: 'done',
      bytes: 5,
    });
    expect(done.durationMs).toEqual(expect.any(Number));
    expect(done.delivery).toEqual(expect.any(String));

    const dead = linesFor('scanned').find((e) => e.source === 'land/scan/taken.csv')!;
    expect(dead).toMatchObject({
      severity: 'ERROR',
      message: 'delivery dead',
      destination: 'lake/raw/from-scan/taken.csv',
      outcome: 'dead',
      code: 'E_CONFLICT',
      bytes: 0,
    });
    expect(String(dead.error)).toContain('already holds other bytes');
  });

  it('a file seen again once delivered gets no second line', async () => {
    const before = linesFor('scanned').length;
    await ws.put('land/scan/twice.csv', 'x\n');
    await ctx.router.route({ ...event('land/scan/twice.csv') });
    await ctx.router.route({ ...event('land/scan/twice.csv') });
    expect(linesFor('scanned').length).toBe(before + 1);
  });

  it('an event no retry can route (a bucket no row names) is logged at ERROR', async () => {
    await ctx.router.route({ bucket: 'nobody-knows', key: 'x.csv', origin: 'manual' });
    expect(entries().filter((e) => e.key === 'x.csv')).toEqual([
      expect.objectContaining({ severity: 'ERROR', message: 'event dead', bucket: 'nobody-knows' }),
    ]);
  });

  it('the queue drain and the worker', async () => {
    const queue = new MemoryQueue({ pollMs: 5 });
    await ws.put('land/queue/q.csv', 'queued\n');
    await queue.publish([event('land/queue/q.csv')]);
    await drain(ctx, queue, { recover: false });
    expect(linesFor('queued')).toEqual([
      expect.objectContaining({
        severity: 'INFO',
        outcome: 'done',
        destination: 'lake/raw/from-queue/q.csv',
      }),
    ]);

    await ws.put('land/worker/w.csv', 'worked\n');
    await queue.publish([event('land/worker/w.csv')]);
    const view = Object.assign(Object.create(queue) as Queue, { close: async () => undefined });
    await runWorker(ctx, async () => view, {
      waitMs: 20,
      progressEveryMs: 0,
      tempMaxAgeMs: 0,
      idleExitMs: 200,
    });
    expect(linesFor('worked')).toEqual([
      expect.objectContaining({ severity: 'INFO', outcome: 'done', action: 'copy', bytes: 7 }),
    ]);
    await queue.close();
  });

  it('the folder watcher', async () => {
    const watcher = await startWatcher(ctx, routerSink(ctx.router), { probe: false, settleMs: 50 });
    try {
      await ws.put('land/watch/seen.csv', 'watched\n');
      await expect
        .poll(() => linesFor('watched'), { timeout: 10_000 })
        .toEqual([expect.objectContaining({ source: 'land/watch/seen.csv', outcome: 'done' })]);
    } finally {
      await watcher.stop();
    }
  });

  it('the HTTP receiver (event mode), last: stopping it closes the context', async () => {
    const mode = await startEventMode(ctx, { port: 0, host: '127.0.0.1', watch: false, dashboard: false });
    try {
      await ws.put('land/http/h.csv', 'posted\n');
      const response = await fetch(`${mode.url}/events/land`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          context: {
            eventId: 'e-1',
            timestamp: new Date().toISOString(),
            eventType: 'google.storage.object.finalize',
            resource: 'projects/_/buckets/http/objects/h.csv',
          },
          data: { bucket: 'http', name: 'h.csv' },
        }),
      });
      expect(response.status).toBe(200);
      expect(linesFor('posted')).toEqual([
        expect.objectContaining({ severity: 'INFO', outcome: 'done', source: 'land/http/h.csv' }),
      ]);
    } finally {
      await mode.stop();
    }
  });

  it('writes one message key per line', () => {
    expect(raw.length).toBeGreaterThan(5);
    for (const line of raw)
      expect(
        topLevelKeys(line).filter((k) => k === 'message'),
        line,
      ).toHaveLength(1);
  });
});

describe('deliveryLines', () => {
  const base = { event: { project: 'p', bucket: 'b', key: 'k.csv', origin: 'manual' as const } };

  it('skips deliveries this call found standing or only planned; levels by outcome', () => {
    const result: RouteResult = {
      ...base,
      source: { project: 'p', bucket: 'b', key: 'k.csv' },
      outcome: 'failed',
      deliveries: [
        { id: '1', routeId: 'r1', destination: 'q/c/k.csv', state: 'done', action: 'copy' },
        { id: '2', routeId: 'r2', destination: 'q/d/k.csv', state: 'planned', action: 'copy' },
        {
          id: '3',
          routeId: 'r3',
          destination: 'q/e/k.csv',
          state: 'failed',
          action: 'copy',
          durationMs: 12,
          error: { code: 'E_BACKEND', message: 'timeout' },
        },
        { id: '4', routeId: 'r4', destination: 'q/f/k.csv', state: 'gone', action: 'move', durationMs: 1 },
        {
          id: '5',
          routeId: 'r5',
          destination: 'q/g/k.csv',
          state: 'superseded',
          action: 'move',
          durationMs: 3,
          bytes: 9,
        },
      ],
    };
    const lines = deliveryLines(result);
    expect(lines.map((l) => [l.fields.delivery, l.level, l.fields.bytes])).toEqual([
      ['3', 'warn', 0],
      ['4', 'error', 0],
      ['5', 'info', 0],
    ]);
    expect(lines[0]!.fields).toMatchObject({ source: 'p/b/k.csv', code: 'E_BACKEND', error: 'timeout' });
  });
});

describe('createLogger', () => {
  it("keeps one message when the logged object has its own, and Cloud Logging's severity", () => {
    const raw: string[] = [];
    const logger = createLogger({ destination: { write: (line: string) => void raw.push(line) } });
    logger.warn({ message: 'from the object', n: 1 }, 'from the call');
    logger.error({ message: 'the only one' });
    logger.info({ error: { code: 'E_X', message: 'nested stays' } }, 'nested');
    const [first, second, third] = raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of raw)
      expect(
        topLevelKeys(line).filter((k) => k === 'message'),
        line,
      ).toHaveLength(1);
    expect(first).toMatchObject({
      severity: 'WARNING',
      message: 'from the call',
      detail: 'from the object',
      n: 1,
    });
    expect(second).toMatchObject({ severity: 'ERROR', message: 'the only one' });
    expect(third).toMatchObject({ severity: 'INFO', message: 'nested', error: { message: 'nested stays' } });
  });
});
