import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ObjectEvent } from '../../src/model/event.js';
import { isOutage, settleMessage, type SettleOptions } from '../../src/drains/settle.js';
import { sweepTempFiles } from '../../src/runtime/upkeep.js';
import type { QueueMessage } from '../../src/queue/types.js';
import type { RouteResult } from '../../src/router/result.js';
import { FS_TEMP_PREFIX } from '../../src/storage/fs/store.js';
import { parseTempName, tempName } from '../../src/storage/fs/paths.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';
import { Workspace } from '../helpers/workspace.js';

const event: ObjectEvent = { project: 'land', bucket: 'in', key: 'a.dat', origin: 'manual' };
const policy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 };
const message = (attempts: number, extra: Partial<QueueMessage> = {}): QueueMessage => ({
  id: 'm',
  event,
  attempts,
  enqueuedAt: 0,
  ...extra,
});
const result = (outcome: RouteResult['outcome'], extra: Partial<RouteResult> = {}): RouteResult => ({
  event,
  outcome,
  deliveries: [],
  ...extra,
});
const outage = result('failed', {
  error: { code: 'E_BACKEND', message: 'ledger unreachable' },
  retryAfterMs: 1_000,
});
const destinationDown = result('failed', {
  deliveries: [
    {
      id: 'd',
      routeId: 'r',
      destination: 'p/b/k',
      state: 'failed',
      action: 'move',
      error: { code: 'E_DESTINATION_UNWRITABLE', message: 'a file is in the way' },
    },
  ],
});

/** The worker's settlement: the drain's rules, with the worker's patience. */
const workerSettlement = (
  m: QueueMessage,
  results: RouteResult[],
  rules: typeof policy,
  random?: SettleOptions['random'],
) => settleMessage(m, results, rules, { patient: true, random });

describe('settleMessage for the worker (patient)', () => {
  it('acks terminal outcomes and nacks transient ones with the drain backoff, like the drain', () => {
    expect(workerSettlement(message(1), [result('routed')], policy)).toEqual({ action: 'ack' });
    expect(workerSettlement(message(1), [result('duplicate'), result('gone')], policy)).toEqual({
      action: 'ack',
    });
    const nack = workerSettlement(message(2), [destinationDown], policy, () => 1);
    expect(nack).toMatchObject({ action: 'nack', delayMs: 200, error: { code: 'E_DESTINATION_UNWRITABLE' } });
  });

  it('dead-letters a message whose own failures spent the budget, and a malformed one', () => {
    expect(workerSettlement(message(3), [destinationDown], policy)).toMatchObject({
      action: 'dead-letter',
      reason: expect.stringMatching(/gave up after 3 attempt\(s\): E_DESTINATION_UNWRITABLE/),
    });
    expect(workerSettlement(message(1, { malformed: 'not JSON' }), [], policy)).toMatchObject({
      action: 'dead-letter',
      reason: 'E_MESSAGE_UNREADABLE: not JSON',
    });
  });

  it('never dead-letters for an outage or another worker holding the delivery: nacks again, at least retryAfter later', () => {
    expect(isOutage(outage)).toBe(true);
    expect(isOutage(destinationDown)).toBe(false);
    expect(workerSettlement(message(9), [outage], policy, () => 0)).toMatchObject({
      action: 'nack',
      delayMs: 1_000,
      error: { code: 'E_BACKEND' },
    });
    expect(workerSettlement(message(9), [result('in-flight')], policy, () => 1)).toMatchObject({
      action: 'nack',
      delayMs: 1_000,
      error: { code: 'E_IN_FLIGHT' },
    });
    expect(workerSettlement(message(9), [outage, destinationDown], policy)).toMatchObject({
      action: 'dead-letter',
    });
  });
});

describe('sweepTempFiles', () => {
  let f: RouterFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it('reads the writer and the creation time in a temp name', () => {
    const at = Date.UTC(2025, 5, 1);
    expect(parseTempName(`${FS_TEMP_PREFIX}${at.toString(36)}-abc123`)).toEqual({ createdAt: at });
    expect(parseTempName(`${FS_TEMP_PREFIX}mv-${at.toString(36)}-abc123`)).toEqual({ createdAt: at });
    expect(parseTempName(`${FS_TEMP_PREFIX}whatever`)).toEqual({});
    const before = Date.now();
    const mine = parseTempName(tempName('mv-'));
    expect(mine.localPid).toBe(process.pid);
    expect(mine.createdAt).toBeGreaterThanOrEqual(before);
    expect(parseTempName(`${FS_TEMP_PREFIX}000000.42-${at.toString(36)}-abc123`)).toEqual({ createdAt: at });
  });

  it('removes only temp files both named and last modified long enough ago, in the buckets of the referential', async () => {
    f =
      await routerFixture(`source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory
land,in,\\.dat$,warehouse,landed,
`);
    const now = Date.now();
    const old = new Date(now - 3_600_000);
    const dir = f.ws.file('warehouse/landed/2024');
    await mkdir(dir, { recursive: true });
    const put = async (name: string, mtime: Date): Promise<void> => {
      await writeFile(path.join(dir, name), 'x');
      await utimes(path.join(dir, name), mtime, mtime);
    };
    const abandoned = `${FS_TEMP_PREFIX}${(now - 3_600_000).toString(36)}-dead01`;
    const movingNow = `${FS_TEMP_PREFIX}mv-${now.toString(36)}-live01`; // a hard link keeps the source's old mtime
    const writingNow = `${FS_TEMP_PREFIX}${(now - 3_600_000).toString(36)}-live02`; // name old, still being written
    const unnamedOld = `${FS_TEMP_PREFIX}legacy`;
    await put(abandoned, old);
    await put(movingNow, old);
    await put(writingNow, new Date(now));
    await put(unnamedOld, old);
    await put('data.dat', old);
    await f.ws.put(`elsewhere/b/${FS_TEMP_PREFIX}${(now - 3_600_000).toString(36)}-other1`, 'x');

    expect(await sweepTempFiles(f.ctx, 60_000)).toBe(2);
    expect((await readdir(dir)).sort()).toEqual(['data.dat', movingNow, writingNow].sort());
    expect(await f.ws.exists(`elsewhere/b/${FS_TEMP_PREFIX}${(now - 3_600_000).toString(36)}-other1`)).toBe(
      true,
    );
  });
});

describe('switchyard worker (CLI)', () => {
  it('--help describes the daemon: what it does, signals, restarts, producers', async () => {
    const ws = await Workspace.create();
    try {
      const help = await ws.run('worker', '--help');
      expect(help.code).toBe(0);
      for (const text of [
        '--queue <url>',
        '--ledger <url>',
        '--lease <duration>',
        '--wait <duration>',
        '--max-attempts <n>',
        '--idle-exit',
        'SIGTERM',
        'dead-letters',
        'restarting',
        'switchyard enqueue',
        'progress line',
      ]) {
        expect(help.stdout).toContain(text);
      }
    } finally {
      await ws.remove();
    }
  });

  it('refuses --dry-run', async () => {
    const ws = await Workspace.create();
    try {
      const run = await ws.run('worker', '--dry-run', '--log-level', 'silent');
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--dry-run is not supported by a worker/);
    } finally {
      await ws.remove();
    }
  });
});
