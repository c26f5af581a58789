import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/workspace.js';
import { ensureBuilt } from '../helpers/build.js';

const CHILD = fileURLToPath(new URL('./fixtures/crash-scan.mjs', import.meta.url));
const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,route_id';

function runChild(
  dir: string,
  mode: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, mode], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('a process killed mid-run, then a re-run', () => {
  let ws: Workspace;
  beforeAll(ensureBuilt, 120_000);
  afterEach(async () => ws?.remove());

  it('killed between writing the destinations and deleting the source: nothing lost, nothing duplicated', async () => {
    ws = await Workspace.create(`${HEADER}
land,in,\\.csv$,finance,raw,,move,fail,to-finance
land,in,\\.csv$,audit,raw,copies,move,fail,to-audit
`);
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < 20; i++) {
      const body = Buffer.from(`file ${i}\n`.repeat(i + 1));
      contents.set(`f${i}.csv`, body);
      await ws.put(`land/in/f${i}.csv`, body);
    }
    const killed = await runChild(ws.dir, 'before-delete');
    expect(killed.signal, killed.stderr).toBe('SIGKILL');

    const rerun = await ws.run('scan', '--json');
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()).toMatchObject({ failed: 0 });

    const files = await ws.files();
    const expected = [...contents.keys()]
      .flatMap((n) => [`audit/raw/copies/${n}`, `finance/raw/${n}`])
      .sort();
    expect(files).toEqual(expected);
    for (const [name, body] of contents) {
      expect(sha(await ws.read(`finance/raw/${name}`))).toBe(sha(body));
      expect(sha(await ws.read(`audit/raw/copies/${name}`))).toBe(sha(body));
    }
    const status = (await ws.run('status', '--json')).json<{ deliveries: Record<string, number> }>();
    expect(status.deliveries).toMatchObject({
      done: 40,
      dead: 0,
      failed: 0,
      planned: 0,
      written: 0,
      verified: 0,
    });
  });

  it('killed while a destination temp file is being written: the re-run removes it and finishes', async () => {
    ws = await Workspace.create(`${HEADER}
land,in,\\.bin$,big,raw,,copy,fail,big
`);
    const body = Buffer.alloc(96 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32LE(i, i);
    await ws.put('land/in/large.bin', body);

    const killed = await runChild(ws.dir, 'mid-copy');
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const leftovers = (await ws.files()).filter((f) => f.includes('.switchyard-tmp-'));
    expect(leftovers.length).toBeGreaterThan(0);

    const rerun = await ws.run('scan', '--json');
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()).toMatchObject({ routed: 1, failed: 0 });
    expect(await ws.files()).toEqual(['big/raw/large.bin', 'land/in/large.bin']);
    expect(sha(await ws.read('big/raw/large.bin'))).toBe(sha(body));
  });
});
