// destination_name and timezone end to end on the fs store, through the CLI:
// explain shows the final name, scan delivers under it, a re-run routes
// nothing, a name the router refuses keeps its source, and a row renaming in
// its own folder does not rename its own output again.
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/workspace.js';

interface ScanJson {
  routed: number;
  unrouted: number;
  failed: number;
  dead: number;
}

interface ExplainJson {
  created: string;
  exists: boolean;
  matches: Array<{ destination: string; destinationName: string; timezone: string }>;
  refused: Array<{ code: string }>;
}

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,destination_name,timezone';

/** Date fields of `at` in Asia/Kolkata, by arithmetic (UTC+05:30, no daylight saving time). */
function kolkata(at: Date): { day: string; hour: string } {
  const t = new Date(at.getTime() + 5.5 * 3600_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return {
    day: `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}`,
    hour: p(t.getUTCHours()),
  };
}

describe('destination_name and timezone on the fs store', () => {
  let ws: Workspace;
  afterEach(async () => ws?.remove());

  it('explain shows the final name; scan delivers under it, dates in the row zone; a re-run routes nothing', async () => {
    ws = await Workspace.create(
      `${HEADER}\nland,in,^sale_.*\\.csv$,sales,raw,{yyyy}{mm}{dd},move,{stem}_{yyyy}{mm}{dd}{hh}.{ext},Asia/Kolkata\n`,
    );
    await ws.put('land/in/sale_fr.csv', 'fr,42\n');
    const explained = await ws.run('explain', '--json', 'land/in/sale_fr.csv');
    expect(explained.code, explained.stderr).toBe(0);
    const e = explained.json<ExplainJson>();
    expect(e.exists).toBe(true);
    const { day, hour } = kolkata(new Date(e.created));
    const expected = `sales/raw/${day}/sale_fr_${day}${hour}.csv`;
    expect(e.matches).toEqual([
      expect.objectContaining({
        destination: expected,
        destinationName: `sale_fr_${day}${hour}.csv`,
        timezone: 'Asia/Kolkata',
      }),
    ]);
    const table = await ws.run('explain', 'land/in/sale_fr.csv');
    expect(table.stdout).toMatch(/\bname\b/);
    expect(table.stdout).toContain(`sale_fr_${day}${hour}.csv`);

    const first = await ws.run('scan', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(first.json<ScanJson>()).toMatchObject({ routed: 1, failed: 0 });
    expect(await ws.files()).toEqual([expected]);
    expect((await ws.read(expected)).toString()).toBe('fr,42\n');
    expect((await ws.run('scan', '--json')).json<ScanJson>()).toMatchObject({ routed: 0, failed: 0 });
  });

  it('a name the template cannot make safely is refused and its source kept; the others go', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,^(?P<id>.*)\\.csv$,out,raw,,copy,{id}_x.csv,\n`);
    await ws.put('land/in/a..b.csv', 'bad');
    await ws.put('land/in/ok.csv', 'good');
    const explained = (await ws.run('explain', '--json', 'land/in/a..b.csv')).json<ExplainJson>();
    expect(explained.matches).toEqual([]);
    expect(explained.refused).toEqual([expect.objectContaining({ code: 'E_KEY_UNSAFE' })]);
    await ws.run('scan', '--json');
    const files = await ws.files();
    expect(files).toContain('land/in/a..b.csv');
    expect(files).toContain('out/raw/ok_x.csv');
    expect(files.filter((f) => f.startsWith('out/'))).toEqual(['out/raw/ok_x.csv']);
  });

  it('a row renaming in its own folder delivers once: its output, which its mask matches, is not renamed again', async () => {
    ws = await Workspace.create(`${HEADER}\nland,in,\\.csv$,land,in,{path},move,{stem}_done.{ext},\n`);
    const check = await ws.run('validate');
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout + check.stderr).toMatch(/renames files in their own folder/);
    await ws.put('land/in/q1/a.csv', 'a');
    const first = await ws.run('scan', '--json');
    expect(first.json<ScanJson>()).toMatchObject({ routed: 1, failed: 0 });
    expect(await ws.files()).toEqual(['land/in/q1/a_done.csv']);
    const again = await ws.run('scan', '--json');
    expect(again.json<ScanJson>()).toMatchObject({ routed: 0, failed: 0 });
    expect(await ws.files()).toEqual(['land/in/q1/a_done.csv']);
  });
});
