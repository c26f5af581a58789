// A referential that would lose files stops every command at the door:
// `validate` exits 1 naming FILE:LINE: column, and `scan`, `serve`, `batch`
// and `worker` refuse to start with the same problems.
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/workspace.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory';

describe('validate refuses referentials that lose files', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  async function validate(routes: string): Promise<{ code: number; out: string; file: string }> {
    ws ??= await Workspace.create(routes);
    const run = await ws.run('validate');
    return { code: run.code, out: run.stdout + run.stderr, file: path.join(ws.dir, 'routes.csv') };
  }

  it('a header-only referential: exit 1, FILE:1: (rows)', async () => {
    const { code, out, file } = await validate(`${HEADER}\n`);
    expect(code).toBe(1);
    expect(out).toContain(`${file}:1: (rows): expected at least one data row, got none`);
  });

  it('a misspelt column is an error, x_ columns pass, other unknown columns warn', async () => {
    const { code, out, file } = await validate(`${HEADER},acton,x_note,foo\np,in,^a,d,out,,copy,n,f\n`);
    expect(code).toBe(1);
    expect(out).toContain(`${file}:1: acton: unknown column "acton" looks like a misspelling of "action"`);
    expect(out).toContain(`${file}:1: foo: warning: unknown column "foo" is ignored`);
    expect(out).not.toContain('x_note');
  });

  it('a row delivering files onto themselves', async () => {
    const { code, out, file } = await validate(`${HEADER}\nsrc,in,\\.csv$,src,in,\n`);
    expect(code).toBe(1);
    expect(out).toContain(
      `${file}:2: destination_bucket: E_DESTINATION_IS_SOURCE: row row-1 (src/in → src/in,`,
    );
  });

  it('a destination bucket folder that is a symlink to the source folder', async () => {
    ws = await Workspace.create(`${HEADER}\nsrc,in,\\.csv$,dst,out,\n`);
    await mkdir(ws.file('src/in'), { recursive: true });
    await mkdir(ws.file('dst'), { recursive: true });
    await symlink(ws.file('src/in'), ws.file('dst/out'));
    const { code, out, file } = await validate('');
    expect(code).toBe(1);
    expect(out).toContain(
      `${file}:2: destination_bucket: E_DESTINATION_IS_SOURCE: row row-1 (src/in → dst/out (the same folder as src/in)`,
    );
  });

  it('landing → landing/archive/ is allowed with a warning', async () => {
    const { code, out, file } = await validate(`${HEADER}\nsrc,landing,\\.csv$,src,landing,archive/\n`);
    expect(code, out).toBe(0);
    expect(out).toContain(
      `${file}:2: destination_directory: warning: destination src/landing/archive/ is inside this row's source bucket`,
    );
  });

  it('a cycle is an error unless every row of it sets allow_cycle', async () => {
    const refused = await validate(`${HEADER},allow_cycle\np,a,\\.csv$,p,b,,true\np,b,\\.csv$,p,a,,\n`);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(
      `${refused.file}:3: destination_bucket: E_ROUTING_LOOP: row row-2 is part of the routing cycle p/a → p/b → p/a`,
    );
    await ws!.remove();
    ws = undefined;
    const allowed = await validate(`${HEADER},allow_cycle\np,a,\\.csv$,p,b,,true\np,b,\\.csv$,p,a,,true\n`);
    expect(allowed.code, allowed.out).toBe(0);
    await ws!.remove();
    ws = undefined;
    const disjoint = await validate(`${HEADER}\np,a,^sales_,p,b,\np,b,^finance_,p,a,\n`);
    expect(disjoint.code, disjoint.out).toBe(0);
  });
});

describe('scan, serve, batch and worker refuse to start', () => {
  let ws: Workspace | undefined;
  afterEach(async () => {
    await ws?.remove();
    ws = undefined;
  });

  it.each([['scan'], ['serve'], ['batch'], ['worker']])(
    '%s with a header-only or cyclic referential',
    async (command) => {
      ws = await Workspace.create(`${HEADER}\n`);
      const file = path.join(ws.dir, 'routes.csv');
      const empty = await ws.run(command);
      expect(empty.code).not.toBe(0);
      expect(empty.stderr).toContain(`${file}:1: (rows): expected at least one data row`);
      await ws.remove();
      ws = await Workspace.create(`${HEADER}\np,a,x,p,b,\np,b,x,p,a,\n`);
      const cyclic = await ws.run(command);
      expect(cyclic.code).not.toBe(0);
      expect(cyclic.stderr).toMatch(/routes\.csv:2: destination_bucket: E_ROUTING_LOOP: /);
    },
  );
});
