// `switchyard diff OLD NEW`: rows added, removed and changed, and where the
// files now in the source buckets would go differently, on local folders and
// on S3 (fauxqs), listed page by page and never moved.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { diffFiles } from '../../src/modes/files-diff.js';
import { loadReferentialText, validateRows } from '../../src/referential/index.js';
import { referentialOf } from '../../src/referential/referential.js';
import { FsStore } from '../../src/storage/fs/store.js';
import { Workspace } from '../helpers/workspace.js';
import {
  cloudWorkspace,
  s3Bucket,
  s3Keys,
  s3Put,
  startCloud,
  type Cloud,
} from '../integration/cloud-fixture.js';

interface DiffJson {
  rows: { added: number; removed: number; changed: number };
  files: {
    changed: number;
    unrouted: number;
    byRoute: Array<{ from: string | null; to: string | null; files: number; examples: string[] }>;
  };
}

const HEAD =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,route_id';

/** OLD and NEW over one source bucket SRC (PROJECT,BUCKET) and one destination project DST. */
function referentials(src: string, dst: string): { old: string; new: string } {
  return {
    old: [
      HEAD,
      `${src},^fin_.*\\.csv$,${dst},finance,{yyyy},move,finance`,
      `${src},^sale_.*\\.csv$,${dst},sales,,move,sales`,
      `${src},^hr_.*\\.csv$,${dst},hr,,copy,`,
      '',
    ].join('\n'),
    new: [
      HEAD,
      `${src},^fin_.*\\.csv$,${dst},finance,ledgers/{yyyy},move,finance`,
      `${src},^hr_.*\\.csv$,${dst},hr,,move,`,
      `${src},^log_,${dst},logs,,copy,logs`,
      '',
    ].join('\n'),
  };
}

const FILES = [
  'fin_a.csv',
  'fin_b.csv',
  'fin_c.csv',
  'fin_d.csv',
  'sale_1.csv',
  'sale_2.csv',
  'hr_x.csv',
  'log_1.txt',
  'other.txt',
];

/**
 * What both backends must answer for FILES under `referentials`: fin_* change
 * directory (the same route), sale_* lose their row (unrouted), log_1.txt gains
 * one, hr_x.csv only changes its action (same destination), other.txt is
 * routed by neither.
 */
function expected(source: string): DiffJson {
  return {
    rows: { added: 1, removed: 1, changed: 2 },
    files: {
      changed: 7,
      unrouted: 2,
      byRoute: [
        {
          from: 'finance',
          to: 'finance',
          files: 4,
          examples: ['fin_a.csv', 'fin_b.csv', 'fin_c.csv'].map((f) => `${source}/${f}`),
        },
        { from: 'sales', to: null, files: 2, examples: [`${source}/sale_1.csv`, `${source}/sale_2.csv`] },
        { from: null, to: 'logs', files: 1, examples: [`${source}/log_1.txt`] },
      ],
    },
  };
}

describe('switchyard diff on local folders', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await ws?.remove();
    ws = undefined;
  });

  async function workspace(): Promise<Workspace> {
    const { old, new: next } = referentials('land,in', 'out');
    const created = await Workspace.create(old, 'old.csv');
    await writeFile(path.join(created.dir, 'new.csv'), next);
    for (const name of FILES) await created.put(`land/in/${name}`, `${name}\n`);
    return created;
  }

  it('--json counts rows and files exactly in the documented shape, and moves nothing', async () => {
    ws = await workspace();
    const before = await ws.files();
    const run = await ws.run('diff', 'old.csv', 'new.csv', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<DiffJson>()).toEqual(expected('land/in'));
    expect(await ws.files()).toEqual(before);
  });

  it('prints the rows with the fields that changed, and the files by route, as tables', async () => {
    ws = await workspace();
    const run = await ws.run('diff', 'old.csv', 'new.csv');
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
    const oldCsv = 'old.csv';
    const newCsv = 'new.csv';
    expect(lines).toContain('rows: 1 added, 1 removed, 2 changed');
    expect(lines).toContain(`added logs ${newCsv}:4`);
    expect(lines).toContain(`removed sales ${oldCsv}:3`);
    expect(lines).toContain(`changed finance ${newCsv}:2 destination_directory`);
    // a row without route_id is known by its source and mask
    expect(lines).toContain(`changed land/in ^hr_.*\\.csv$ ${newCsv}:3 action`);
    expect(lines).toContain('files: 9 listed, 7 would go elsewhere, 2 would become unrouted');
    expect(lines).toContain('finance finance 4 land/in/fin_a.csv, land/in/fin_b.csv, land/in/fin_c.csv');
    expect(lines).toContain('sales (none) 2 land/in/sale_1.csv, land/in/sale_2.csv');
    expect(lines).toContain('(none) logs 1 land/in/log_1.txt');
  });

  it('a referential against itself: nothing added, removed, changed or elsewhere', async () => {
    ws = await workspace();
    const run = await ws.run('diff', 'new.csv', 'new.csv', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<DiffJson>()).toEqual({
      rows: { added: 0, removed: 0, changed: 0 },
      files: { changed: 0, unrouted: 0, byRoute: [] },
    });
  });

  it('rows without route_id pair by source and mask; other values count once defaults apply', async () => {
    ws = await Workspace.create(
      [
        'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory',
        'land,in,\\.csv$,out,a,',
        'land,in,\\.csv$,out,b,',
        '',
      ].join('\n'),
      'old.csv',
    );
    await writeFile(
      path.join(ws.dir, 'new.yaml'),
      [
        '- { source_project: land, source_bucket: in, source_file_mask: "\\\\.csv$", destination_project: out, destination_bucket: a, destination_directory: "", action: move, on_conflict: fail }',
        '- { source_project: land, source_bucket: in, source_file_mask: "\\\\.csv$", destination_project: out, destination_bucket: c, destination_directory: "" }',
        '',
      ].join('\n'),
    );
    await ws.put('land/in/x.csv', 'x\n');
    const run = await ws.run('diff', 'old.csv', 'new.yaml', '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.json<DiffJson>()).toEqual({
      rows: { added: 0, removed: 0, changed: 1 },
      // the second row (row-2 on both sides) now sends x.csv to out/c instead of out/b
      files: {
        changed: 1,
        unrouted: 0,
        byRoute: [{ from: 'row-2', to: 'row-2', files: 1, examples: ['land/in/x.csv'] }],
      },
    });
  });

  it('a route that keeps a file but moves its destination pairs with itself, whatever the row order', async () => {
    const head = HEAD.replace(',action,route_id', ',route_id');
    ws = await Workspace.create(
      [head, 'land,in,\\.csv$,out,a,,alpha', 'land,in,^x,out,b,,beta', ''].join('\n'),
      'old.csv',
    );
    await writeFile(
      path.join(ws.dir, 'new.csv'),
      [head, 'land,in,^x,out,b,two,beta', 'land,in,\\.csv$,out,a,one,alpha', ''].join('\n'),
    );
    await ws.put('land/in/x.csv', 'x\n');
    const run = await ws.run('diff', 'old.csv', 'new.csv', '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.json<DiffJson>().files).toEqual({
      changed: 1,
      unrouted: 0,
      byRoute: [
        { from: 'alpha', to: 'alpha', files: 1, examples: ['land/in/x.csv'] },
        { from: 'beta', to: 'beta', files: 1, examples: ['land/in/x.csv'] },
      ],
    });
  });

  it('an invalid OLD or NEW: its errors by file and line, exit 2, nothing listed', async () => {
    ws = await workspace();
    await writeFile(
      path.join(ws.dir, 'bad.csv'),
      [HEAD, 'land,in,^ok$,out,x,,move,ok', 'land,in,(unclosed,out,x,,move,broken', ''].join('\n'),
    );
    const list = vi.spyOn(FsStore.prototype, 'list');
    const run = await ws.run('diff', 'old.csv', 'bad.csv');
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      new RegExp(`^${escape(path.join(ws.dir, 'bad.csv'))}:3: source_file_mask: `, 'm'),
    );
    expect(run.stderr).toContain('1 error(s)');
    expect(list).not.toHaveBeenCalled();

    const json = await ws.run('diff', 'missing.csv', 'bad.csv', '--json');
    expect(json.stdout).toContain('not found: expected a referential file');
    expect(json.code).toBe(2);
    const error = json.json<{
      error: { code: string; details: { problems: Array<{ file: string; line: number }> } };
    }>().error;
    expect(error.code).toBe('E_REFERENTIAL_INVALID');
    expect(error.details.problems.map((p) => [path.basename(p.file), p.line])).toEqual([
      ['missing.csv', 1],
      ['bad.csv', 3],
    ]);
  });

  it('--help names both arguments and the JSON shape', async () => {
    ws = await workspace();
    const run = await ws.run('diff', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: switchyard diff [options] <old> <new>');
    expect(run.stdout).toContain('"byRoute"');
  });

  it('lists page by page: the whole bucket is seen through the pages', async () => {
    ws = await workspace();
    const { old, new: next } = referentials('land,in', 'out');
    const load = (text: string, name: string) =>
      referentialOf(validateRows(loadReferentialText(text, name), { source: name }).routes, name);
    const store = new FsStore({ name: 'land', root: path.join(ws.data, 'land') });
    const list = vi.spyOn(store, 'list');
    const result = await diffFiles(
      load(old, 'old.csv'),
      load(next, 'new.csv'),
      {
        storeFor: async () => store,
      },
      { pageSize: 2 },
    );
    expect(list).toHaveBeenCalledTimes(Math.ceil(FILES.length / 2));
    expect(list.mock.calls.every(([, options]) => options?.pageSize === 2)).toBe(true);
    expect({ changed: result.changed, unrouted: result.unrouted, byRoute: result.byRoute }).toEqual(
      expected('land/in').files,
    );
    expect(result.listed).toBe(FILES.length);
  });
});

describe('switchyard diff on S3 (fauxqs)', () => {
  let cloud: Cloud;
  let ws: Workspace | undefined;
  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(async () => cloud?.stop());
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  it('lists the S3 source bucket, reads NEW from an s3:// URI, and moves nothing', async () => {
    const source = await s3Bucket(cloud, 'landing');
    const config = await s3Bucket(cloud, 'config');
    const { old, new: next } = referentials(`src,${source}`, 'lake');
    ws = await cloudWorkspace(cloud, old, 'routesProject: src\n');
    await s3Put(cloud, config, 'switchyard/routes.csv', next);
    for (const name of FILES) await s3Put(cloud, source, name, `${name}\n`);

    const run = await ws.run('diff', 'routes.csv', `s3://${config}/switchyard/routes.csv`, '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.json<DiffJson>()).toEqual(expected(`src/${source}`));
    expect(await s3Keys(cloud, source)).toEqual([...FILES].sort());
  });

  it('an S3 referential that is not there is an error naming its URI, exit 2', async () => {
    const config = await s3Bucket(cloud, 'config');
    const { old } = referentials('src,landing', 'lake');
    ws = await cloudWorkspace(cloud, old, 'routesProject: src\n');
    const run = await ws.run('diff', 'routes.csv', `s3://${config}/nothing.csv`);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`s3://${config}/nothing.csv:1: `);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
