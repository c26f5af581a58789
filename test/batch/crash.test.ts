import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build.js';
import { Workspace } from '../helpers/workspace.js';
import { HEADER, sleep } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/crash-drain.mjs', import.meta.url));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function runChild(
  dir: string,
  killAt: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(killAt)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

interface Status {
  deliveries: Record<string, number>;
  queue: { depth: number; inFlight: number; dead: number };
}

describe('a drain killed with SIGKILL mid-batch, then run again', () => {
  let ws: Workspace | undefined;
  beforeAll(ensureBuilt, 180_000);
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  it('ends with every file routed exactly once', async () => {
    ws = await Workspace.create(`${HEADER}
land,in,\\.csv$,finance,raw,,move,fail,to-finance
land,in,\\.csv$,audit,raw,copies,move,fail,to-audit
`);
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < 120; i++) {
      const name = `f${String(i).padStart(3, '0')}.csv`;
      const body = Buffer.from(`file ${i}\n`.repeat(i + 1));
      contents.set(name, body);
      await ws.put(`land/in/${name}`, body);
    }
    const enqueued = await ws.run('enqueue', '--json', ...[...contents.keys()].map((n) => `land/in/${n}`));
    expect(enqueued.code, enqueued.stderr).toBe(0);
    expect(enqueued.json()).toMatchObject({ queued: 120, missing: [] });

    const killed = await runChild(ws.dir, 55);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const midway = (await ws.run('status', '--json')).json<Status>();
    expect(midway.queue.depth + midway.queue.inFlight).toBeGreaterThan(0);
    expect(midway.deliveries.done).toBeLessThan(240);

    let routed = 0;
    for (let i = 0; i < 40; i++) {
      const rerun = await ws.run('batch', '--json');
      expect(rerun.code, rerun.stderr).toBe(0);
      const report = rerun.json<{
        routed: number;
        failed: number;
        deadLettered: number;
        recovered: number;
      }>();
      expect(report).toMatchObject({ failed: 0, deadLettered: 0 });
      // the source being deleted when the drain died had verified deliveries: recovery finishes them first
      if (i === 0) expect(report.recovered).toBeGreaterThanOrEqual(1);
      routed += report.routed;
      const status = (await ws.run('status', '--json')).json<Status>();
      if (status.queue.depth + status.queue.inFlight === 0) break;
      await sleep(250); // the killed drain's leases (1.5 s) run out
    }

    const expected = [...contents.keys()]
      .flatMap((n) => [`audit/raw/copies/${n}`, `finance/raw/${n}`])
      .sort();
    expect(await ws.files()).toEqual(expected);
    for (const [name, body] of contents) {
      expect(sha(await ws.read(`finance/raw/${name}`))).toBe(sha(body));
      expect(sha(await ws.read(`audit/raw/copies/${name}`))).toBe(sha(body));
    }
    const status = (await ws.run('status', '--json')).json<Status>();
    expect(status.deliveries).toMatchObject({
      done: 240,
      dead: 0,
      failed: 0,
      planned: 0,
      written: 0,
      verified: 0,
      gone: 0,
    });
    expect(status.queue).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
    expect(routed).toBeGreaterThan(0);
  }, 120_000);
});
