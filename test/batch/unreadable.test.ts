import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeadLetterListing } from '../../src/drains/batch-dead-letters.js';
import { batchFixture, HEADER, type BatchFixture } from './helpers.js';

const ROUTES = `${HEADER}
land,in,\\.csv$,finance,raw,,move,fail,to-finance
`;

/** Rows another writer put in the queue table: not events switchyard can read. */
const GARBAGE: Array<string | Buffer> = [
  '{"bucket":"in","key":"a.c',
  '',
  Buffer.from([0x00, 0xff, 0x10, 0x80]),
  '[1,2,3]',
];

describe('switchyard batch with unreadable rows in the SQLite queue', () => {
  let f: BatchFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it('exits 0, routes the readable messages, dead-letters each unreadable one with E_MESSAGE_UNREADABLE and leaves nothing leased', async () => {
    f = await batchFixture(ROUTES);
    const names = ['a.csv', 'b.csv', 'c.csv'];
    for (const name of names) await f.ws.put(`land/in/${name}`, `${name}\n`);
    await f.queue.publish([f.event('land/in/a.csv')]);
    const db = new Database(f.queuePath);
    const insert = db.prepare(
      "INSERT INTO messages (queue, event, attempts, enqueued_at, visible_at, state) VALUES ('default', ?, 0, ?, ?, 'ready')",
    );
    for (const body of GARBAGE) insert.run(body, Date.now(), Date.now());
    db.close();
    await f.queue.publish([f.event('land/in/b.csv'), f.event('land/in/c.csv')]);

    const batch = await f.ws.run('batch', '--json');
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.json()).toMatchObject({
      routed: 3,
      malformed: GARBAGE.length,
      deadLettered: GARBAGE.length,
      acked: 3,
      nacked: 0,
    });
    expect(await f.ws.files()).toEqual(names.map((n) => `finance/raw/${n}`));
    expect(await f.queue.stats()).toMatchObject({ depth: 0, inFlight: 0, dead: GARBAGE.length });

    const again = await f.ws.run('batch', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ messages: 0 });

    const listed = await f.ws.run('dead-letters', 'list', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    const { entries } = listed.json<DeadLetterListing>();
    expect(entries.map((e) => [e.kind, e.code, e.source])).toEqual(
      GARBAGE.map(() => ['queue', 'E_MESSAGE_UNREADABLE', '(unreadable message)']),
    );
    expect(entries.map((e) => e.raw)).toEqual(
      GARBAGE.map((body) =>
        typeof body === 'string'
          ? { encoding: 'utf8', text: body, bytes: Buffer.byteLength(body), truncated: false }
          : { encoding: 'base64', text: body.toString('base64'), bytes: body.length, truncated: false },
      ),
    );
    expect(entries[0]?.reason).toMatch(
      /expected a storage notification \(.*\) or a switchyard event \(JSON\), got 25 byte\(s\) .*not JSON/,
    );
    const table = await f.ws.run('dead-letters', 'list');
    expect(table.stdout).toMatch(/queue .*\(unreadable message\) .* E_MESSAGE_UNREADABLE: /);
  });
});
