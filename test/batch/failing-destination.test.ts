import { rm } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { drain } from '../../src/drains/batch.js';
import { batchFixture, HEADER, sleep, type BatchFixture } from './helpers.js';

const ROUTES = `${HEADER}
land,in,\\.csv$,broken,raw,incoming,move,fail,to-broken
`;
const NAMES = ['a.csv', 'b.csv', 'c.csv', 'd.csv', 'e.csv'];

interface Row {
  id: number;
  attempts: number;
  visible_at: number;
  state: string;
}

async function landFiles(f: BatchFixture): Promise<void> {
  await f.ws.put('broken/raw/incoming', 'a file standing where the destination folder should be');
  for (const name of NAMES) await f.ws.put(`land/in/${name}`, `content of ${name}\n`);
  await f.queue.publish(NAMES.map((name) => f.event(`land/in/${name}`)));
}

describe('a destination that fails', () => {
  let f: BatchFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it('keeps its messages queued, retried with growing delays, dead-lettered after the last attempt; retry --all routes them once fixed', async () => {
    f = await batchFixture(ROUTES, { maxAttempts: 20 });
    await landFiles(f);
    const db = new Database(f.queuePath, { readonly: true });
    const rows = (): Row[] =>
      db.prepare('SELECT id, attempts, visible_at, state FROM messages ORDER BY id').all() as Row[];
    const delays = new Map<string, number[]>();
    const nack = f.queue.nack.bind(f.queue);
    f.queue.nack = async (id, delayMs) => {
      const rowid = id.split(':')[0]!;
      delays.set(rowid, [...(delays.get(rowid) ?? []), delayMs]);
      return nack(id, delayMs);
    };

    const options = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 10_000, concurrency: 2 };
    const visibleAfter: number[][] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const before = Date.now();
      const report = await drain(f.ctx, f.queue, options);
      expect(report).toMatchObject({ messages: 5, nacked: 5, acked: 0, deadLettered: 0, failed: 5 });
      const now = rows();
      expect(now.map((r) => [r.attempts, r.state])).toEqual(NAMES.map(() => [attempt, 'ready']));
      visibleAfter.push(now.map((r) => r.visible_at - before));
      expect(await f.ws.files()).toEqual(['broken/raw/incoming', ...NAMES.map((n) => `land/in/${n}`)]);
      await sleep(Math.max(...now.map((r) => r.visible_at)) - Date.now() + 20);
    }
    visibleAfter.forEach((after, i) =>
      after.forEach((ms) => expect(ms).toBeGreaterThanOrEqual((200 * 2 ** i) / 2)),
    );
    for (const list of delays.values()) {
      expect(list).toHaveLength(3);
      // backoff with jitter in the upper half: attempt n waits between 200·2^(n-1)/2 and 200·2^(n-1) ms
      list.forEach((d, i) => {
        expect(d).toBeGreaterThanOrEqual((200 * 2 ** i) / 2);
        expect(d).toBeLessThanOrEqual(200 * 2 ** i);
      });
      expect(list[1]).toBeGreaterThanOrEqual(list[0]!);
      expect(list[2]).toBeGreaterThanOrEqual(list[1]!);
    }
    const last = await drain(f.ctx, f.queue, options);
    expect(last).toMatchObject({ messages: 5, deadLettered: 5, dead: 5, nacked: 0, acked: 0 });
    expect(rows().map((r) => [r.attempts, r.state])).toEqual(NAMES.map(() => [4, 'dead']));
    db.close();

    const listed = await f.ws.run('dead-letters', 'list', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    const entries = listed.json<{
      entries: Array<{ kind: string; source: string; attempts: number; reason: string }>;
    }>().entries;
    expect(entries.filter((e) => e.kind === 'queue')).toHaveLength(5);
    for (const e of entries)
      expect(e.reason).toMatch(/gave up after 4 attempt\(s\): E_DESTINATION_UNWRITABLE/);
    expect(await f.ws.files()).toEqual(['broken/raw/incoming', ...NAMES.map((n) => `land/in/${n}`)]);

    await rm(f.ws.file('broken/raw/incoming'));
    const retried = await f.ws.run('dead-letters', 'retry', '--all', '--json');
    expect(retried.code, retried.stderr).toBe(0);
    // the deliveries the router left in backoff (failed, not dead) are made due with their messages
    expect(retried.json()).toMatchObject({ queue: 5, ledger: 5, republished: 0 });
    const batch = await f.ws.run('batch', '--json');
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.json()).toMatchObject({ routed: 5, failed: 0, acked: 5 });
    expect(await f.ws.files()).toEqual(NAMES.map((n) => `broken/raw/incoming/${n}`));
    expect(await f.queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
  });

  it('a delivery the ledger gives up on is acked as dead; retry --all makes it due and re-queues its source', async () => {
    f = await batchFixture(ROUTES, { maxAttempts: 2 });
    await landFiles(f);
    const options = { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 5 };
    const total = { nacked: 0, acked: 0, dead: 0, deadLettered: 0 };
    for (let i = 0; i < 20 && (await f.queue.stats()).depth > 0; i++) {
      const report = await drain(f.ctx, f.queue, options);
      for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += report[k];
      await sleep(10);
    }
    expect(total).toEqual({ nacked: 5, acked: 5, dead: 5, deadLettered: 0 });
    expect(await f.queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });

    const listed = await f.ws.run('dead-letters', 'list');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(
      /ledger .* land\/in\/a\.csv .* broken\/raw\/incoming\/a\.csv .* E_DESTINATION_UNWRITABLE/,
    );

    await rm(f.ws.file('broken/raw/incoming'));
    const retried = await f.ws.run('dead-letters', 'retry', '--all', '--json');
    expect(retried.json()).toMatchObject({ queue: 0, ledger: 5, republished: 5 });
    const batch = await f.ws.run('batch', '--json');
    expect(batch.json()).toMatchObject({ routed: 5, failed: 0 });
    expect(await f.ws.files()).toEqual(NAMES.map((n) => `broken/raw/incoming/${n}`));
    expect((await f.ctx.reports.counts()).byState).toMatchObject({ done: 5, dead: 0, failed: 0 });
  });
});
