// Referentials that would lose files are refused by validation: no rows, a
// misspelt column, a row delivering a file onto itself, a routing cycle.
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localBucketIdentity, type BucketIdentity } from '../../src/referential/bucket-identity.js';
import { editDistance } from '../../src/referential/columns.js';
import { loadReferentialText } from '../../src/referential/load.js';
import { routingCycles } from '../../src/referential/routing-cycles.js';
import { formatProblem, validateRows } from '../../src/referential/validate.js';
import { route } from './helpers.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory';

function check(
  text: string,
  file = 'routes.csv',
  bucketIdentity?: BucketIdentity,
): { errors: string[]; warnings: string[] } {
  const rows = loadReferentialText(text, file);
  const { problems } = validateRows(rows, { source: file, ...(bucketIdentity ? { bucketIdentity } : {}) });
  return {
    errors: problems.filter((p) => p.severity === 'error').map(formatProblem),
    warnings: problems.filter((p) => p.severity === 'warning').map(formatProblem),
  };
}

const csv = (...lines: string[]): string => [HEADER, ...lines].join('\n');

describe('a referential with no rows', () => {
  it.each([
    ['an empty file', 'routes.csv', ''],
    ['a header alone', 'routes.csv', `${HEADER}\n`],
    ['a header missing columns', 'routes.csv', 'source_project,mask\n\n'],
    ['an empty YAML list', 'routes.yaml', '[]\n'],
    ['an empty JSON list', 'routes.json', '[]'],
  ])('%s is an error at line 1', (_what, file, text) => {
    const r = check(text, file);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      new RegExp(`^${file.replace('.', '\\.')}:1: \\(rows\\): expected at least one data row, got none`),
    );
  });
});

describe('unknown columns', () => {
  it('a misspelling of a known column is an error naming it; x_ columns are notes; others warn', () => {
    const r = check(
      `${HEADER},acton,on_confict,x_note,X_Owner,foo\np,in,^a,d,out,,copy,version,why,me,bar\n`,
    );
    expect(r.errors).toEqual([
      'routes.csv:1: acton: unknown column "acton" looks like a misspelling of "action": expected "action" (or a name starting with "x_" for a note); as written every row would silently use the default action',
      'routes.csv:1: on_confict: unknown column "on_confict" looks like a misspelling of "on_conflict": expected "on_conflict" (or a name starting with "x_" for a note); as written every row would silently use the default on_conflict',
    ]);
    expect(r.warnings).toEqual([
      expect.stringMatching(/^routes\.csv:1: foo: warning: unknown column "foo" is ignored/),
    ]);
  });

  it('in YAML the misspelt column is reported at the first row that has it', () => {
    const yaml = [
      '- {source_project: p, source_bucket: in, source_file_mask: ^a, destination_project: d, destination_bucket: out, destination_directory: ""}',
      '- {source_project: p, source_bucket: in, source_file_mask: ^b, destination_project: d, destination_bucket: out, destination_directory: "", enabeld: "no"}',
    ].join('\n');
    expect(check(yaml, 'routes.yaml').errors).toEqual([
      expect.stringMatching(
        /^routes\.yaml:2: enabeld: unknown column "enabeld" looks like a misspelling of "enabled"/,
      ),
    ]);
  });

  it('edit distance counts an adjacent swap as one edit', () => {
    expect(editDistance('acton', 'action')).toBe(1);
    expect(editDistance('actoin', 'action')).toBe(1);
    expect(editDistance('enalbde', 'enabled')).toBe(2);
    expect(editDistance('notes', 'action')).toBeGreaterThan(2);
  });

  it('a misspelt action value keeps its own error', () => {
    expect(check(`${HEADER},action\np,in,^a,d,out,,cpy\n`).errors).toEqual([
      'routes.csv:2: action: invalid action "cpy": expected one of move, copy',
    ]);
  });
});

describe('a destination that is the source', () => {
  it.each([[''], ['{path}'], ['{path}/']])('same bucket, directory %j: E_DESTINATION_IS_SOURCE', (dir) => {
    const r = check(csv(`src,in,^a,d,out,`, `src,in,\\.csv$,src,in,${dir}`));
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^routes\.csv:3: destination_bucket: E_DESTINATION_IS_SOURCE: row row-2 \(src\/in → src\/in,/,
      ),
    ]);
  });

  it('a disabled self-route is not an error', () => {
    expect(check(`${HEADER},enabled\nsrc,in,\\.csv$,src,in,,false\n`).errors).toEqual([]);
  });

  it('the same bucket name in another project is another bucket', () => {
    expect(check(csv('src,in,\\.csv$,other,in,')).errors).toEqual([]);
  });

  it('another folder of the source bucket is allowed, with a warning that the mask matches again', () => {
    const r = check(csv('src,landing,\\.csv$,src,landing,archive/{yyyy}'));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /^routes\.csv:2: destination_directory: warning: destination src\/landing\/archive\/\{yyyy\}\/ is inside this row's source bucket: .*mask "\\\\.csv\$" matches them again/,
      ),
    ]);
  });

  describe('local folders compare by real path', () => {
    let root: string | undefined;
    afterEach(async () => {
      if (root) await rm(root, { recursive: true, force: true });
      root = undefined;
    });

    it('a destination bucket folder that is a symlink to the source folder', async () => {
      root = await mkdtemp(path.join(tmpdir(), 'sy-ident-'));
      await mkdir(path.join(root, 'src', 'in'), { recursive: true });
      await mkdir(path.join(root, 'dst'), { recursive: true });
      await symlink(path.join(root, 'src', 'in'), path.join(root, 'dst', 'out'));
      const identity = localBucketIdentity({ dataRoot: root });
      const r = check(csv('src,in,\\.csv$,dst,out,'), 'routes.csv', identity);
      expect(r.errors).toEqual([
        expect.stringMatching(
          /^routes\.csv:2: destination_bucket: E_DESTINATION_IS_SOURCE: row row-1 \(src\/in → dst\/out \(the same folder as src\/in\)/,
        ),
      ]);
      expect(check(csv('src,in,\\.csv$,dst,out,')).errors).toEqual([]);
      expect(check(csv('src,in,\\.csv$,dst,missing,'), 'routes.csv', identity).errors).toEqual([]);
    });
  });
});

describe('routing cycles', () => {
  it('a → b, b → a is an error on each row, naming the cycle', () => {
    const r = check(csv('p,a,\\.csv$,p,b,', 'p,b,\\.csv$,p,a,'));
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^routes\.csv:2: destination_bucket: E_ROUTING_LOOP: row row-1 is part of the routing cycle p\/a → p\/b → p\/a: /,
      ),
      expect.stringMatching(
        /^routes\.csv:3: destination_bucket: E_ROUTING_LOOP: row row-2 is part of the routing cycle p\/a → p\/b → p\/a: .*got 2 row\(s\) without it \(routes\.csv:2, routes\.csv:3\)/,
      ),
    ]);
  });

  it('a longer cycle through three buckets, beside rows that leave it', () => {
    const r = check(csv('p,a,x,p,b,', 'p,b,x,p,c,', 'p,c,x,p,a,', 'p,c,x,q,out,'));
    expect(r.errors.map((e) => e.split(':')[1])).toEqual(['2', '3', '4']);
    expect(r.errors[0]).toContain('p/a → p/b → p/c → p/a');
  });

  it('allowed when every row of the cycle sets allow_cycle; one row without it is enough to refuse', () => {
    const allowed = check(`${HEADER},allow_cycle\np,a,x,p,b,,true\np,b,x,p,a,,yes\n`);
    expect(allowed.errors).toEqual([]);
    expect(allowed.warnings).toHaveLength(2);
    const half = check(`${HEADER},allow_cycle\np,a,x,p,b,,true\np,b,x,p,a,,\n`);
    expect(half.errors).toEqual([
      expect.stringMatching(
        /^routes\.csv:2: allow_cycle: E_ROUTING_LOOP: .*got 1 row\(s\) without it \(routes\.csv:3\)/,
      ),
      expect.stringMatching(/^routes\.csv:3: destination_bucket: E_ROUTING_LOOP: /),
    ]);
  });

  it('masks no one name can match both (different anchored literals) break the cycle', () => {
    expect(check(csv('p,a,^sales_,p,b,', 'p,b,^finance_,p,a,')).errors).toEqual([]);
    expect(check(csv('p,a,\\.csv$,p,b,', 'p,b,\\.json$,p,a,')).errors).toEqual([]);
    expect(check(csv('p,a,^sales_.*\\.csv$,p,b,', 'p,b,^sales_eu,p,a,')).errors).toHaveLength(2);
    expect(check(csv('p,a,(?i)^sales_,p,b,', 'p,b,^finance_,p,a,')).errors).toHaveLength(2);
  });

  it('disabled rows carry nothing', () => {
    expect(check(`${HEADER},enabled\np,a,x,p,b,,\np,b,x,p,a,,false\n`).errors).toEqual([]);
  });

  it('buckets that are one folder (symlink) close a cycle', () => {
    const identity: BucketIdentity = (project, bucket) =>
      bucket === 'alias' ? 'p/a' : `${project}/${bucket}`;
    expect(check(csv('p,a,x,p,b,', 'p,b,x,p,alias,'), 'routes.csv', identity).errors).toHaveLength(2);
    expect(check(csv('p,a,x,p,b,', 'p,b,x,p,alias,')).errors).toEqual([]);
  });

  it('stays near-linear in rows: work grows with the rows, not their pairs', () => {
    const work = (n: number): number => {
      const rows = [];
      for (let i = 0; i < n; i++) {
        rows.push(
          route(
            `^a${i}_`,
            { sourceBucket: 'a', destinationBucket: 'b', destinationProject: 'p', sourceProject: 'p' },
            2 * i + 1,
          ),
        );
        rows.push(
          route(
            `^b${i}_`,
            { sourceBucket: 'b', destinationBucket: 'a', destinationProject: 'p', sourceProject: 'p' },
            2 * i + 2,
          ),
        );
      }
      const report = routingCycles(rows, (p, b) => `${p}/${b}`);
      expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
      return report.work;
    };
    const small = work(500);
    const large = work(5_000);
    expect(large).toBeLessThan(small * 10 * 2);
  });
});

describe('transforms rename what arrives (cycle and self-route checks compare the renamed name)', () => {
  const TX = `${HEADER},transform`;
  const tx = (...lines: string[]): string => [TX, ...lines].join('\n');

  it('a → b as .csv, b → a taking only .csv, is no cycle when a → b gzips (.csv.gz arrives in b)', () => {
    expect(check(tx('p,a,\\.csv$,p,b,,gzip', 'p,b,\\.csv$,p,a,,')).errors).toEqual([]);
    // without the transform, the same two rows are a cycle
    expect(check(tx('p,a,\\.csv$,p,b,,', 'p,b,\\.csv$,p,a,,')).errors).toHaveLength(2);
  });

  it('a rename the next row matches keeps the cycle: gunzip of .csv.gz arrives as .csv', () => {
    const r = check(tx('p,a,\\.csv\\.gz$,p,b,,gunzip', 'p,b,\\.csv$,p,a,,gzip'));
    expect(r.errors).toEqual([
      expect.stringContaining('E_ROUTING_LOOP: row row-1'),
      expect.stringContaining('E_ROUTING_LOOP: row row-2'),
    ]);
  });

  it('a literal whole-name mask is compared by what a rename cannot change', () => {
    // ^x\.csv$ under gzip delivers x.csv.gz, whose gunzip back is x.csv again: a cycle
    expect(check(tx('p,a,^x\\.csv$,p,b,,gzip', 'p,b,^x\\.csv\\.gz$,p,a,,gunzip')).errors).toHaveLength(2);
    // ^x\.csv$ under csv-to-jsonl delivers x.jsonl, which ^x\.csv$ back cannot match
    expect(check(tx('p,a,^x\\.csv$,p,b,,csv-to-jsonl', 'p,b,^x\\.csv$,p,a,,')).errors).toEqual([]);
    expect(check(tx('p,a,^x\\.csv$,p,b,,', 'p,b,^x\\.csv$,p,a,,')).errors).toHaveLength(2);
  });

  it('beside the source: a warning when the mask cannot match the renamed name, an error when it may', () => {
    const ok = check(tx('src,in,\\.csv$,src,in,,gzip'));
    expect(ok.errors).toEqual([]);
    expect(ok.warnings).toEqual([
      expect.stringMatching(/^routes\.csv:2: transform: warning: row row-1 .*cannot match the renamed name/),
    ]);
    expect(check(tx('src,in,\\.gz$,src,in,,gzip')).errors).toEqual([
      expect.stringMatching(
        /^routes\.csv:2: destination_bucket: E_DESTINATION_IS_SOURCE: row row-1 .*delivers its gzip output beside the source where its mask may match it again/,
      ),
    ]);
    expect(check(tx('src,in,data,src,in,,csv-to-jsonl')).errors).toHaveLength(1);
  });
});
