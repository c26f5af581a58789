// Runs the built CLI (dist/, `npm run build` first) as a child process (helpers/serve-child.ts), so signals can be sent to it.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, type Served } from '../helpers/serve-child.js';
import { Workspace } from '../helpers/workspace.js';
import { CSV, fixture, postEvent, TEST_ROUTES } from './harness.js';
import { until } from '../helpers/until.js';

/** How these tests wait: up to 15 s, every 25 ms. */
const WAIT = { timeoutMs: 15_000, everyMs: 25 };

describe('switchyard serve (the built CLI)', () => {
  let ws: Workspace | undefined;
  let served: Served | undefined;
  afterEach(async () => {
    if (served && served.child.exitCode === null) served.child.kill('SIGKILL');
    await ws?.remove();
    ws = undefined;
    served = undefined;
  });

  it('event mode: routes a POSTed event, then exits 0 on SIGTERM', async () => {
    ws = await Workspace.create(TEST_ROUTES);
    await ws.put('source_bucket/raw_data/sale_fr_2024-05.csv', CSV);
    served = await serve(ws, '--no-watch');
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await (await fetch(`${served.url}/healthz`)).json()) as object).toEqual({
      status: 'ok',
      routes: 5,
    });
    const answer = await postEvent(served.url, await fixture('gcs-pubsub-push.json'));
    expect(answer.status).toBe(200);
    expect(answer.json.outcome).toBe('routed');
    expect(await ws.exists('sales/raw_data/sale_fr_2024-05.csv')).toBe(true);

    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('event mode: an incomplete group older than group_timeout is dead-lettered by the --group-check, its source kept', async () => {
    ws = await Workspace.create(
      'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,complete_when,group_timeout\n' +
        'land,in,\\.csv$,wh,raw,{path},move,^_SUCCESS$,200ms\n',
    );
    await ws.put('land/in/d/a.csv', CSV);
    served = await serve(ws, '--no-watch', '--group-check', '50ms');
    const s3Event = {
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'in' }, object: { key: 'd/a.csv', size: CSV.length } },
        },
      ],
    };
    const answer = await postEvent(served.url, s3Event);
    expect(answer.status).toBe(200);
    expect(answer.json.outcome).toBe('waiting');
    await until(
      async () => {
        const status = await ws!.run('status', '--json');
        const json = status.json<{ deliveries: { dead: number }; waitingGroups: number }>();
        return json.deliveries.dead === 1 && json.waitingGroups === 0;
      },
      'the group to time out',
      WAIT,
    );
    expect(await ws.exists('land/in/d/a.csv')).toBe(true);
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('batch mode: answers 202 (queued) and the scheduled drain routes the file', async () => {
    ws = await Workspace.create(TEST_ROUTES);
    await ws.put('source_bucket/raw_data/finance_q3.csv', CSV);
    served = await serve(ws, '--no-watch', '--mode', 'batch', '--schedule', '* * * * * *');
    const answer = await postEvent(served.url, await fixture('sns-s3-notification.json'), {
      'content-type': 'text/plain; charset=UTF-8',
    });
    expect(answer.status).toBe(202);
    expect(answer.json.outcome).toBe('queued');
    await until(
      () => ws!.exists('finance/raw_data/finance_q3.csv'),
      'the scheduled drain to route the file',
      WAIT,
    );
    const lastDrain = async () => {
      const text = await (await fetch(`${served!.url}/metrics`)).text();
      return Number(/^switchyard_last_successful_drain_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
    };
    await until(async () => (await lastDrain()) > 0, 'the drain to be reported to /metrics', WAIT);
    expect((await lastDrain()) * 1000).toBeGreaterThan(Date.now() - 60_000);
    served.child.kill('SIGINT');
    expect(await served.exited).toBe(0);
  });

  it('refuses a non-loopback address without a credential (exit 2, clear message)', async () => {
    ws = await Workspace.create(TEST_ROUTES);
    const run = await ws.run(
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--no-watch',
      '--log-level',
      'silent',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a credential/);
  });

  it('batch mode: a bad --timezone or --schedule exits 2 with the error before listening', async () => {
    ws = await Workspace.create(TEST_ROUTES);
    const batch = ['serve', '--mode', 'batch', '--port', '0', '--no-watch', '--log-level', 'silent'];
    const zone = await ws.run(...batch, '--schedule', '*/5 * * * *', '--timezone', 'Bad/Zone');
    expect(zone.code).toBe(2);
    expect(zone.stderr).toContain(
      '--timezone: expected an IANA time zone such as Europe/Paris or UTC, got "Bad/Zone"',
    );
    expect(zone.stderr).not.toContain('serving on');
    const cron = await ws.run(...batch, '--schedule', '61 * * * *', '--timezone', 'Europe/Paris');
    expect(cron.code).toBe(2);
    expect(cron.stderr).toContain('invalid cron schedule "61 * * * *" in time zone Europe/Paris');
    expect(cron.stderr).not.toContain('serving on');
  });

  it('a data root that does not exist exits 2 naming it, before listening', async () => {
    ws = await Workspace.create(TEST_ROUTES);
    const run = await ws.run('serve', '--port', '0', '--data', 'wrong/path', '--log-level', 'silent');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`data root ${path.join(ws.dir, 'wrong/path')}: does not exist`);
    expect(run.stderr).not.toContain('serving on');
  });

  it('--settle: the watcher routes a file only once it stayed unchanged that long', async () => {
    ws = await Workspace.create(TEST_ROUTES);
    served = await serve(ws, '--settle', '1500ms');
    const written = Date.now();
    await ws.put('source_bucket/raw_data/finance_settle.csv', CSV);
    await until(
      () => ws!.exists('finance/raw_data/finance_settle.csv'),
      'the watcher to route the file',
      WAIT,
    );
    expect(Date.now() - written).toBeGreaterThanOrEqual(1500);
    expect(served.stderr()).not.toMatch(/error/i);
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('--settle refuses a value that is not a duration (exit 2)', async () => {
    ws = await Workspace.create(TEST_ROUTES);
    const run = await ws.run('serve', '--port', '0', '--settle', 'soon', '--log-level', 'silent');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('expected a duration like 30s, 5m or 1500ms, got "soon"');
  });
});
