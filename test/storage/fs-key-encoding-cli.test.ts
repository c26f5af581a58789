// A local file whose name is not UTF-8, end to end through the CLI: scan
// --json reports it (E_KEY_ENCODING, the name escaped) and counts it as
// unrouted, status --json lists it among the unrouted files, and it stays
// where it landed. Local folders only (only they hand out raw names).
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Workspace } from '../helpers/workspace.js';

interface ScanJson {
  routed: number;
  unrouted: number;
  unroutedFiles: string[];
  errors: Array<{ source: string; code: string; message: string }>;
}

interface StatusJson {
  unrouted: number;
  recentUnrouted: Array<{ source: string; code?: string }>;
}

let ws: Workspace | undefined;
afterEach(async () => ws?.remove());

it('a name that is not UTF-8 is reported by scan and status, escaped, and left in place', async () => {
  ws = await Workspace.create();
  await ws.put('source_bucket/raw_data/finance_ok.csv', 'a,b\n');
  const folder = path.join(ws.data, 'source_bucket', 'raw_data', 'emea');
  await fsp.mkdir(folder, { recursive: true });
  // `finance_r<E9>sum<E9>.csv` in Latin-1: the mask would match it, were it a key
  const raw = Buffer.concat([
    Buffer.from(`${folder}/finance_r`),
    Buffer.from([0xe9]),
    Buffer.from('sum'),
    Buffer.from([0xe9]),
    Buffer.from('.csv'),
  ]);
  await fsp.writeFile(raw, 'latin-1 name\n');
  const shown = 'source_bucket/raw_data/emea/finance_r\\xE9sum\\xE9.csv';

  const scan = await ws.run('scan', '--json');
  expect(scan.code, scan.stderr).toBe(0);
  const report = scan.json<ScanJson>();
  expect(report).toMatchObject({ routed: 1, unrouted: 1 });
  expect(report.unroutedFiles).toEqual([shown]);
  expect(report.errors).toEqual([
    { source: shown, code: 'E_KEY_ENCODING', message: expect.stringContaining('UTF-8') },
  ]);
  expect(existsSync(raw)).toBe(true);
  expect((await fsp.readFile(raw)).toString()).toBe('latin-1 name\n');

  const status = (await ws.run('status', '--json')).json<StatusJson>();
  expect(status.unrouted).toBe(1);
  expect(status.recentUnrouted.map((u) => [u.source, u.code])).toEqual([[shown, 'E_KEY_ENCODING']]);

  const again = (await ws.run('scan', '--json')).json<ScanJson>();
  expect(again.errors.map((e) => e.code)).toEqual(['E_KEY_ENCODING']);
  expect((await ws.run('status', '--json')).json<StatusJson>().unrouted).toBe(1);
  expect(existsSync(raw)).toBe(true);
});

it('a symbolic link in a source bucket is reported by scan (E_SYMLINK) and neither followed nor removed', async () => {
  ws = await Workspace.create();
  const outside = path.join(ws.dir, 'outside');
  await fsp.mkdir(outside);
  await fsp.writeFile(path.join(outside, 'finance_secret.csv'), 'secret\n');
  await ws.put('source_bucket/raw_data/finance_ok.csv', 'a,b\n');
  const link = path.join(ws.data, 'source_bucket', 'raw_data', 'linked');
  await fsp.symlink(outside, link);

  const scan = await ws.run('scan', '--json');
  expect(scan.code, scan.stderr).toBe(0);
  const report = scan.json<ScanJson>();
  expect(report).toMatchObject({ routed: 1, unrouted: 0 });
  expect(report.errors).toEqual([
    {
      source: 'source_bucket/raw_data/linked',
      code: 'E_SYMLINK',
      message: expect.stringContaining('symbolic link'),
    },
  ]);
  expect((await fsp.lstat(link)).isSymbolicLink()).toBe(true);
  expect(await fsp.readFile(path.join(outside, 'finance_secret.csv'), 'utf8')).toBe('secret\n');
  expect(await ws.exists('finance/raw_data/finance_secret.csv')).toBe(false);
});
