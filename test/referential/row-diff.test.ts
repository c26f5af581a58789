// The row side of `switchyard diff`: identities (route_id, else source and
// mask), fan-out rows paired in file order, defaults, and columns named as
// the referential names them, including one the compiled route gains later.
import { describe, expect, it } from 'vitest';
import { loadReferentialText, validateRows } from '../../src/referential/index.js';
import { diffRows, diffRowsOf, type DiffRow } from '../../src/referential/row-diff.js';

const HEAD =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory';

function rowsOf(csv: string, file = 'routes.csv'): DiffRow[] {
  const raw = loadReferentialText(csv, file);
  return diffRowsOf(raw, validateRows(raw, { source: file }).routes);
}

describe('diffRows', () => {
  it('knows a row by route_id when set: a new mask is a change, a new route_id is a removal and an addition', () => {
    const before = rowsOf(`${HEAD},route_id\np,b,^a,q,c,,one\np,b,^z,q,c,,two\n`);
    const after = rowsOf(`${HEAD},route_id\np,b,^A,q,c,,one\np,b,^z,q,c,,deux\n`, 'next.csv');
    const diff = diffRows(before, after);
    expect(diff.changed.map((c) => [c.old.route.id, c.fields])).toEqual([['one', ['source_file_mask']]]);
    expect(diff.removed.map((r) => r.route.id)).toEqual(['two']);
    expect(diff.added.map((r) => r.route.id)).toEqual(['deux']);
  });

  it('without route_id, by source and mask; moving a row in the file is no change, defaults equal their absence', () => {
    const before = rowsOf(`${HEAD}\np,b,^a,q,c,\np,b,^z,q,c,\n`);
    const after = rowsOf(
      `${HEAD},action,on_conflict,enabled\np,b,^z,q,c,,move,fail,true\np,b,^a,q,c,,copy,,\n`,
    );
    const diff = diffRows(before, after);
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    expect(diff.changed.map((c) => [c.old.route.mask, c.new.route.line, c.fields])).toEqual([
      ['^a', 3, ['action']],
    ]);
  });

  it('rows of one YAML line keep their own identities', () => {
    const before = rowsOf(`${HEAD},route_id\np,b,^a,q,c,,one\np,b,^z,q,c,,\n`);
    const row = (mask: string, id: string) =>
      `{source_project: p, source_bucket: b, source_file_mask: "${mask}", destination_project: q, destination_bucket: c, destination_directory: "", route_id: "${id}"}`;
    const after = rowsOf(`[${row('^a', 'one')}, ${row('^z', '')}]\n`, 'next.yaml');
    expect(diffRows(before, after)).toEqual({ added: [], removed: [], changed: [] });
  });

  it('names a property the compiled route gains by its column (snake case)', () => {
    const [before] = rowsOf(`${HEAD}\np,b,^a,q,c,\n`);
    const after: DiffRow = {
      hasRouteId: false,
      route: { ...before!.route, destinationName: '{stem}.csv', allowCycle: true } as DiffRow['route'],
    };
    expect(diffRows([before!], [after]).changed[0]?.fields).toEqual(['allow_cycle', 'destination_name']);
  });
});
