// A worker's drains (issue [12]): a continuous worker has no end of drain, so
// what it delivers for rows with write_manifest or notify is gathered in
// windows, each one drain's `_MANIFEST-drain-….json` per folder and one
// message per notify row: closed when the queue runs dry, when the window is
// --manifest-every old, and when the worker stops.
import { readdir } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runWorker, type WorkerOptions } from '../../src/drains/worker.js';
import { SignalWindow } from '../../src/drains/worker-signal.js';
import { MemoryQueue } from '../../src/queue/memory/queue.js';
import type { Queue } from '../../src/queue/types.js';
import { Notifier } from '../../src/signals/notifier.js';
import type { Manifest } from '../../src/signals/manifest.js';
import type { SignalReport } from '../../src/signals/signal.js';
import { routerFixture, type RouterFixture } from '../helpers/router-fixture.js';
import { startHttpsSink, type HttpsSink } from './https-server.js';
import { until } from '../helpers/until.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id,write_manifest,notify';
const FAST: WorkerOptions = {
  waitMs: 20,
  progressEveryMs: 0,
  tempMaxAgeMs: 0,
  baseDelayMs: 20,
  maxDelayMs: 200,
};

/** The queue as the worker sees it; closing it leaves the shared queue open. */
function view(queue: Queue): Queue {
  return Object.assign(Object.create(queue) as Queue, { close: async () => undefined });
}

describe('worker drains: manifests and notify', () => {
  let f: RouterFixture | undefined;
  let sink: HttpsSink;
  let notifier: Notifier | undefined;
  beforeAll(async () => {
    sink = await startHttpsSink();
  });
  afterAll(async () => sink.close());
  afterEach(async () => {
    await f?.close();
    await notifier?.close();
    f = undefined;
    notifier = undefined;
    sink.bodies.length = 0;
  });

  async function manifestsIn(location: string): Promise<Manifest[]> {
    const names = (await readdir(f!.ws.file(location))).filter((n) => n.startsWith('_MANIFEST-')).sort();
    return Promise.all(
      names.map(async (n) => JSON.parse((await f!.ws.read(`${location}/${n}`)).toString('utf8')) as Manifest),
    );
  }

  async function land(queue: Queue, names: string[]): Promise<void> {
    for (const n of names) await f!.ws.put(`land/in/${n}`, `${n}\n`);
    await queue.publish(names.map((n) => f!.event(`land/in/${n}`)));
  }

  it('each time the queue runs dry, what was delivered since is one drain: one manifest per folder, one message', async () => {
    notifier = new Notifier({ ca: sink.ca, backoffMs: 1 });
    f = await routerFixture(
      `${HEADER}\nland,in,^sale_,lake,raw,sales,move,sales,true,${sink.url}\nland,in,^hr_,lake,raw,hr,move,hr,,\n`,
      { notifier },
    );
    const queue = new MemoryQueue({ pollMs: 5 });
    await land(queue, ['sale_1.csv', 'sale_2.csv', 'hr_1.csv']);
    const running = runWorker(f.ctx, async () => view(queue), { ...FAST, concurrency: 2, idleExitMs: 2_000 });
    const folder = 'lake/raw/sales';
    // the first three are one drain once the queue ran dry (its manifest written), then one more lands
    await until(
      async () => (await f!.ws.files()).some((p) => p.includes('_MANIFEST-')),
      'a manifest after the queue ran dry',
      { timeoutMs: 10_000, everyMs: 10 },
    );
    await land(queue, ['sale_3.csv']);
    const stats = await running;

    expect(stats).toMatchObject({
      routed: 4,
      acked: 4,
      signalledDrains: 2,
      manifests: 2,
      notified: 2,
      manifestFailures: 0,
      notifyFailures: 0,
    });
    const manifests = await manifestsIn(folder);
    // two drains in one second: their names sort by their random part, so compare by content
    expect(manifests.map((m) => m.files.map((x) => x.name).sort()).sort()).toEqual([
      ['sale_1.csv', 'sale_2.csv'],
      ['sale_3.csv'],
    ]);
    expect(manifests.every((m) => m.kind === 'drain' && /^drain-\d{8}T\d{6}Z-[0-9a-f]{6}$/.test(m.id))).toBe(
      true,
    );
    expect(new Set(manifests.map((m) => m.id)).size).toBe(2);
    // the hr row neither writes a manifest nor notifies
    expect((await f.ws.files()).filter((p) => p.startsWith('lake/raw/hr/'))).toEqual([
      'lake/raw/hr/hr_1.csv',
    ]);
    const bodies = sink.bodies as Array<{ id: string; route: string; files: Array<{ name: string }> }>;
    expect(bodies.map((b) => [b.route, b.files.map((x) => x.name).sort()]).sort()).toEqual([
      ['sales', ['sale_1.csv', 'sale_2.csv']],
      ['sales', ['sale_3.csv']],
    ]);
    expect(bodies.map((b) => b.id).sort()).toEqual(manifests.map((m) => m.id).sort());
  });

  it('a window closes once it is --manifest-every old, and only with files of signalling rows', async () => {
    f = await routerFixture(
      `${HEADER}\nland,in,^sale_,lake,raw,,copy,sales,true,\nland,in,^hr_,lake,raw,,copy,hr,,\n`,
    );
    const reports: SignalReport[] = [];
    const window = new SignalWindow(f.ctx, 60_000, (r) => reports.push(r));
    await f.ws.put('land/in/hr_1.csv', 'h');
    window.add(await f.ctx.router.route(f.event('land/in/hr_1.csv')));
    expect(window.due(Date.now() + 61_000)).toBe(false);
    await f.ws.put('land/in/sale_1.csv', 's');
    const opened = Date.now();
    window.add(await f.ctx.router.route(f.event('land/in/sale_1.csv')));
    expect(window.due(opened + 1_000)).toBe(false);
    expect(window.due(Date.now() + 60_000)).toBe(true);
    await window.close();
    expect(reports).toHaveLength(1);
    expect(reports[0]!.manifests).toEqual([expect.stringMatching(/^lake\/raw\/_MANIFEST-drain-.*\.json$/)]);
    expect((await manifestsIn('lake/raw')).map((m) => m.files.map((x) => x.name))).toEqual([['sale_1.csv']]);
    // nothing open: closing again writes nothing
    expect(window.due(Date.now() + 120_000)).toBe(false);
    await window.close();
    expect(reports).toHaveLength(1);
  });
});
