import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/workspace.js';
import { HEADER } from './helpers.js';

const ROUTES = `${HEADER}
land,in,\\.csv$,finance,raw,,move,fail,to-finance
`;

interface Status {
  queue: { url: string; depth: number; inFlight: number; dead: number; oldestAgeMs?: number };
}

describe('batch commands', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  it('a notification for a file recorded unrouted, then deleted, takes it off the unrouted list', async () => {
    ws = await Workspace.create(ROUTES);
    await ws.put('land/in/notes.txt', 'no row\n');
    await ws.put('land/in/other.txt', 'no row either\n');
    expect((await ws.run('scan', '--json')).json()).toMatchObject({ unrouted: 2 });
    await rm(ws.file('land/in/notes.txt'));
    expect((await ws.run('enqueue', 'land/in/notes.txt')).code).toBe(0);
    expect((await ws.run('batch', '--json')).code).toBe(0);
    const status = (await ws.run('status', '--json')).json<{ recentUnrouted: Array<{ source: string }> }>();
    expect(status.recentUnrouted.map((u) => u.source)).toEqual(['land/in/other.txt']);
  });

  it('worker --json prints its final counts; with --wait 0 it still routes and exits once idle', async () => {
    ws = await Workspace.create(ROUTES);
    await ws.put('land/in/a.csv', 'a\n');
    await ws.put('land/in/b.csv', 'b\n');
    expect((await ws.run('enqueue', 'land/in/a.csv', 'land/in/b.csv')).code).toBe(0);

    const run = await ws.run(
      'worker',
      '--wait',
      '0',
      '--idle-exit',
      '200ms',
      '--json',
      '--log-level',
      'error',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ pulled: 2, acked: 2, routed: 2, inHand: 0, stoppedBy: 'idle' });
    expect(await ws.files()).toEqual(['finance/raw/a.csv', 'finance/raw/b.csv']);
  });

  it('enqueue, status, batch --dry-run, batch: counts like scan --json', async () => {
    ws = await Workspace.create(ROUTES);
    await ws.put('land/in/a.csv', 'a\n');
    await ws.put('land/in/b.csv', 'b\n');
    await ws.put('land/in/notes.txt', 'unrouted\n');

    const enqueued = await ws.run(
      'enqueue',
      '--json',
      'land/in/a.csv',
      'land/in/b.csv',
      'land/in/notes.txt',
      'land/in/missing.csv',
    );
    expect(enqueued.code, enqueued.stderr).toBe(0);
    expect(enqueued.json()).toEqual({ queue: 'default', queued: 4, missing: ['land/in/missing.csv'] });
    const refused = await ws.run('enqueue', 'land/in/../../etc/passwd');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/E_KEY_UNSAFE|unsafe/);

    const status = (await ws.run('status', '--json')).json<Status>();
    expect(status.queue).toMatchObject({ depth: 4, inFlight: 0, dead: 0 });
    expect(status.queue.oldestAgeMs).toBeGreaterThanOrEqual(0);
    const text = await ws.run('status');
    expect(text.stdout).toMatch(/queue: depth 4, in flight 0, dead 0, oldest \d+s/);

    const dry = await ws.run('batch', '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json()).toMatchObject({ dryRun: true, routed: 2, unrouted: 1, messages: 4, acked: 0 });
    expect((await ws.run('status', '--json')).json<Status>().queue).toMatchObject({ depth: 4, inFlight: 0 });
    expect(await ws.exists('land/in/a.csv')).toBe(true);

    const batch = await ws.run(
      'batch',
      '--json',
      '--max-batch',
      '3',
      '--time-budget',
      '5m',
      '--max-attempts',
      '3',
    );
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.json()).toMatchObject({
      routed: 2,
      unrouted: 1,
      failed: 0,
      dead: 0,
      skipped: 1,
      messages: 4,
      batches: 2,
      acked: 4,
    });
    expect(await ws.files()).toEqual(['finance/raw/a.csv', 'finance/raw/b.csv', 'land/in/notes.txt']);
    expect((await ws.run('status', '--json')).json<Status>().queue).toMatchObject({
      depth: 0,
      inFlight: 0,
      dead: 0,
    });

    const again = await ws.run('batch');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      /^routed 0, unrouted 0, failed 0 \(dead 0\), skipped 0\nmessages 0 in 0 batch\(es\)/,
    );
  });

  it('dead-letters list / purge, and usage errors', async () => {
    ws = await Workspace.create(ROUTES);
    const empty = await ws.run('dead-letters', 'list');
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toBe('no dead letters\n');
    expect((await ws.run('dead-letters', 'purge', '--json')).json()).toEqual({ purged: 0 });
    const usage = await ws.run('dead-letters', 'retry');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/give ids from `dead-letters list`, or --all/);
    expect((await ws.run('dead-letters', 'retry', 'nope', '--json')).json()).toMatchObject({
      queue: 0,
      ledger: 0,
      queueIds: ['nope'],
    });
    expect((await ws.run('batch', '--time-budget', 'soon')).code).toBe(2);
  });
});
