import { describe, expect, it } from 'vitest';
import { loadReferentialText } from '../../src/referential/load.js';
import { formatProblem, validateRows } from '../../src/referential/validate.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory';
const FULL = `${HEADER},action,on_conflict,route_id,enabled`;

function check(
  lines: string[],
  header = HEADER,
  file = 'routes.csv',
): { errors: string[]; warnings: string[]; ids: string[] } {
  const { routes, problems } = validateRows(loadReferentialText([header, ...lines].join('\n'), file));
  return {
    errors: problems.filter((p) => p.severity === 'error').map(formatProblem),
    warnings: problems.filter((p) => p.severity === 'warning').map(formatProblem),
    ids: routes.map((r) => r.id),
  };
}

describe('validateRows: valid referentials', () => {
  it('builds routes with defaults (move, fail, enabled, row-N ids)', () => {
    const { routes, problems } = validateRows(
      loadReferentialText(
        `${FULL}\np,in,^a,d,out,x,,,,\np,in,^b,d,out,y,COPY,version,b-route,no\n`,
        'routes.csv',
      ),
    );
    expect(problems).toEqual([]);
    expect(routes).toEqual([
      {
        id: 'row-1',
        file: 'routes.csv',
        line: 2,
        sourceProject: 'p',
        sourceBucket: 'in',
        mask: '^a',
        destinationProject: 'd',
        destinationBucket: 'out',
        destinationDirectory: 'x',
        action: 'move',
        onConflict: 'fail',
        enabled: true,
        allowCycle: false,
      },
      expect.objectContaining({
        id: 'b-route',
        line: 3,
        action: 'copy',
        onConflict: 'version',
        enabled: false,
      }),
    ]);
  });

  it('accepts placeholders, including the mask named groups', () => {
    const r = check([
      'p,in,^sale_(?P<country>[a-z]{2})_,d,out,sales/{country}/{yyyy}/{mm}/{dd}/{hh}/{stem}.{ext}/{path}/{name}',
    ]);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });
});

describe('validateRows: errors, as FILE:LINE: column: message', () => {
  it('missing required columns are reported at line 1 with the column name', () => {
    const r = check(['p,b,x'], 'source_project,source_bucket,mask');
    expect(r.errors[0]).toBe(
      'routes.csv:1: source_file_mask: missing required column "source_file_mask": expected columns source_project, source_bucket, source_file_mask, destination_project, destination_bucket, destination_directory, got source_project, source_bucket, mask',
    );
    expect(r.errors.map((e) => e.split(': ')[1])).toEqual([
      'source_file_mask',
      'destination_project',
      'destination_bucket',
      'destination_directory',
    ]);
    expect(r.warnings).toEqual([
      'routes.csv:1: mask: warning: unknown column "mask" is ignored: expected one of source_project, source_bucket, source_file_mask, destination_project, destination_bucket, destination_directory, action, on_conflict, route_id, enabled, allow_cycle, destination_name, timezone, transform, write_manifest, notify, complete_when, group_timeout (columns starting with "x_" are notes)',
    ]);
    expect(r.ids).toEqual([]);
  });

  it('transform: gzip, gunzip, csv-to-jsonl, csv-to-parquet or none (any case); another value is refused naming row and value', () => {
    const header = `${HEADER},transform`;
    const { routes, problems } = validateRows(
      loadReferentialText(
        `${header}\np,in,^a,d,out,x,GZIP\np,in,^b,d,out,y,\np,in,^c,d,out,z,csv-to-jsonl\n`,
        'routes.csv',
      ),
    );
    expect(problems).toEqual([]);
    expect(routes.map((r) => r.transform)).toEqual(['gzip', undefined, 'csv-to-jsonl']);
    expect(check(['p,in,^a,d,out,x,zip'], header).errors).toEqual([
      'routes.csv:2: transform: invalid transform "zip": expected one of gzip, gunzip, csv-to-jsonl, csv-to-parquet, none',
    ]);
  });

  it('a field missing from one YAML row is reported at that row', () => {
    const yaml = [
      '- {source_project: p, source_bucket: b, source_file_mask: x, destination_project: d, destination_bucket: o, destination_directory: ""}',
      '- {source_project: p, source_bucket: b, source_file_mask: y, destination_project: d, destination_bucket: o}',
    ].join('\n');
    const { problems } = validateRows(loadReferentialText(yaml, 'routes.yaml'));
    expect(problems.map(formatProblem)).toEqual([
      'routes.yaml:2: destination_directory: missing field "destination_directory": expected every row to set it',
    ]);
  });

  it('empty required fields (destination_directory may be empty)', () => {
    const r = check([',in,x,d,out,', 'p,,x,d,out,', 'p,in,x,,out,', 'p,in,x,d, ,']);
    expect(r.errors).toEqual([
      'routes.csv:2: source_project: empty value: expected a project name',
      'routes.csv:3: source_bucket: empty value: expected a bucket name',
      'routes.csv:4: destination_project: empty value: expected a project name',
      'routes.csv:5: destination_bucket: empty value: expected a bucket name',
    ]);
  });

  it('bucket and project names must be one path segment', () => {
    expect(check(['p,a/b,x,d,out,', 'p,in,x,..,out,']).errors).toEqual([
      'routes.csv:2: source_bucket: expected a bucket name (one path segment), got "a/b"',
      'routes.csv:3: destination_project: expected a project name (one path segment), got ".."',
    ]);
  });

  it('empty and invalid RE2 masks', () => {
    expect(
      check(['p,in,,d,out,', 'p,in,(a,d,out,', 'p,in,a\\1,d,out,', 'p,in,(?<=a)b,d,out,']).errors,
    ).toEqual([
      'routes.csv:2: source_file_mask: empty mask: expected an RE2 regular expression searched in the file name (an empty mask would match every file)',
      'routes.csv:3: source_file_mask: invalid RE2 mask "(a": error parsing regexp: missing closing ): `(a`',
      'routes.csv:4: source_file_mask: invalid RE2 mask "a\\\\1": error parsing regexp: invalid escape sequence: `\\1`',
      'routes.csv:5: source_file_mask: invalid RE2 mask "(?<=a)b": error parsing regexp: invalid named capture: `(?<=a)b`',
    ]);
  });

  it('unknown placeholders and malformed templates', () => {
    expect(check(['p,in,^(?P<c>..),d,out,{nope}/{c}', 'p,in,x,d,out,a/{yyyy']).errors).toEqual([
      'routes.csv:2: destination_directory: unknown placeholder {nope}: expected one of {yyyy} {mm} {dd} {hh} {name} {stem} {ext} {path} or a named group of the mask (mask groups: {c})',
      'routes.csv:3: destination_directory: expected a placeholder like {yyyy} at offset 2, got "{yyyy"',
    ]);
  });

  it('directories that would escape the bucket', () => {
    expect(
      check(['p,in,x,d,out,../up', 'p,in,x,d,out,a/{yyyy}/../b', 'p,in,x,d,out,/abs', 'p,in,x,d,out,./a'])
        .errors,
    ).toEqual([
      'routes.csv:2: destination_directory: ".." segment would escape the bucket or its folder: expected plain folder names, got "../up"',
      'routes.csv:3: destination_directory: ".." segment would escape the bucket or its folder: expected plain folder names, got "a/{yyyy}/../b"',
      'routes.csv:4: destination_directory: expected a directory relative to the bucket, got absolute "/abs"',
      'routes.csv:5: destination_directory: "." segment would escape the bucket or its folder: expected plain folder names, got "./a"',
    ]);
  });

  it('control characters', () => {
    expect(check(['p,in,"a\u0007b",d,out,', 'p,in,x,d,out,"a\tb"']).errors).toEqual([
      'routes.csv:2: source_file_mask: expected printable text, got control character U+0007 in "a\\u0007b"',
      'routes.csv:3: destination_directory: expected printable text, got control character U+0009 in "a\\tb"',
    ]);
  });

  it('invalid action, on_conflict and enabled values', () => {
    expect(check(['p,in,x,d,out,,mv,later,,maybe'], FULL).errors).toEqual([
      'routes.csv:2: action: invalid action "mv": expected one of move, copy',
      'routes.csv:2: on_conflict: invalid on_conflict "later": expected one of fail, overwrite, version',
      'routes.csv:2: enabled: invalid enabled "maybe": expected true or false (also yes/no, 1/0)',
    ]);
  });

  it('duplicate route ids, including a default id taken explicitly', () => {
    expect(
      check(
        ['p,in,a,d,out,,,,,', 'p,in,b,d,out,,,,dup,', 'p,in,c,d,out,,,,dup,', 'p,in,e,d,out,,,,row-1,'],
        FULL,
      ).errors,
    ).toEqual([
      'routes.csv:4: route_id: duplicate route_id "dup": already used by the row at routes.csv:3',
      'routes.csv:5: route_id: duplicate route_id "row-1": already used by the row at routes.csv:2',
    ]);
  });

  it('exact duplicate rows', () => {
    const r = check(['p,in,^a,d,out,x', 'p,in,^b,d,out,x', 'p,in,^a,d,out,x']);
    expect(r.errors).toEqual([
      'routes.csv:4: source_file_mask: exact duplicate of the row at routes.csv:2: expected each row once',
    ]);
  });

  it('exact duplicates among rows sharing a mask: the first row of the same content is named', () => {
    const r = check([
      'p,in,^a,d,out,x',
      'p,in,^a,d,out,y',
      'p,in,^a,d,out,z',
      'p,in,^a,d,out,y',
      'p,in,^a,d,out,x',
      'p,in,^a,d,out,  x  ',
      'q,in,^a,d,out,z',
    ]);
    expect(r.errors).toEqual([
      'routes.csv:5: source_file_mask: exact duplicate of the row at routes.csv:3: expected each row once',
      'routes.csv:6: source_file_mask: exact duplicate of the row at routes.csv:2: expected each row once',
      'routes.csv:7: source_file_mask: exact duplicate of the row at routes.csv:2: expected each row once',
    ]);
  });
});

describe('validateRows: warnings never fail', () => {
  it("the seed's overlapping masks: one name, two destination projects", () => {
    const r = check([
      'source_bucket,raw_data,finance.*.csv,finance,raw_data,',
      'source_bucket,raw_data,sale.*.csv,sales,raw_data,',
    ]);
    expect(r.errors).toEqual([]);
    expect(r.ids).toEqual(['row-1', 'row-2']);
    expect(r.warnings).toContain(
      'routes.csv:3: source_file_mask: warning: this mask and the one at routes.csv:2 (row-1) both match "sale_finance.csv" in source_bucket/raw_data but send it to different projects: expected one destination project, got finance and sales',
    );
  });

  it('one warning per row, naming the other overlapping rows', () => {
    const r = check(['p,in,^a,x,o,', 'p,in,b$,y,o,', 'p,in,c,z,o,']);
    expect(r.warnings).toEqual([
      'routes.csv:3: source_file_mask: warning: this mask and the one at routes.csv:2 (row-1) both match "a_b" in p/in but send it to different projects: expected one destination project, got x and y',
      'routes.csv:4: source_file_mask: warning: this mask and the one at routes.csv:2 (row-1) both match "a_c" in p/in but send it to different projects: expected one destination project, got x and z; also 1 other row(s) with another destination project: routes.csv:3',
    ]);
  });

  it('masks that cannot match one name do not warn', () => {
    const r = check([
      'p,in,^finance_[a-z]{2}_\\d{8}\\.csv$,fin,o,',
      'p,in,^sale_.*\\.csv$,sales,o,',
      'p,other,^sale,x,o,',
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('an unescaped "." before a typical extension', () => {
    const r = check([
      'p,in,^a.*.csv$,d,out,',
      'p,in,^b.*\\.csv$,d,o2,',
      'p,in,^c[.]json,d,o3,',
      'p,in,^d.JSON.gz,d,o4,',
      'p,in,^e.csvx,d,o5,',
    ]);
    expect(r.warnings).toEqual([
      'routes.csv:2: source_file_mask: warning: unescaped "." before "csv" matches any character (e.g. "xcsv"): expected "\\.csv" to match a literal dot',
      'routes.csv:5: source_file_mask: warning: unescaped "." before "JSON" matches any character (e.g. "xJSON"): expected "\\.JSON" to match a literal dot',
    ]);
  });

  it('two rows that can write the same destination key', () => {
    const r = check([
      'p,in,^report,d,out,daily',
      'p,in2,\\.csv$,d,out,daily',
      'p,in3,^other,d,out,elsewhere',
    ]);
    expect(r.warnings).toEqual([
      'routes.csv:3: destination_directory: warning: this row and the one at routes.csv:2 (row-1) can write the same key d/out/daily/report.csv (from p/in and p/in2, both masks match "report.csv"): expected distinct destinations',
    ]);
    const same = check(['p,in,^a,d,out,x,,,one,', 'p,in,^a,d,out,x,,,two,'], FULL);
    expect(same.errors).toEqual([]);
    expect(same.warnings).toEqual([
      'routes.csv:3: destination_directory: warning: this row and the one at routes.csv:2 (one) can write the same key d/out/x/a (both from p/in, both masks match "a"): expected distinct destinations',
    ]);
  });

  it('two sources meeting at one destination key, only one of them overwriting, is an error naming both rows', () => {
    const mixed = check(
      ['p,in,\\.csv$,d,out,,move,fail,keep,', 'p,drop,^sale,d,out,,move,overwrite,replace,'],
      FULL,
    );
    expect(mixed.errors).toEqual([
      'routes.csv:3: on_conflict: E_CONFLICT_POLICY_MIXED: this row and the one at routes.csv:2 (keep) can write the same key d/out/sale.csv (from p/in and p/drop, both masks match "sale.csv") with on_conflict overwrite and fail: an overwrite would replace what the other row delivered; expected the same on_conflict, or distinct destinations',
    ]);
    const versioned = check(
      ['p,in,\\.csv$,d,out,,move,version,a,', 'p,drop,^sale,d,out,,move,overwrite,b,'],
      FULL,
    );
    expect(versioned.errors).toHaveLength(1);
    // the same policy, or rows of one source bucket (one delivery by the strictest), stay warnings
    for (const rows of [
      ['p,in,\\.csv$,d,out,,move,overwrite,a,', 'p,drop,^sale,d,out,,move,overwrite,b,'],
      ['p,in,\\.csv$,d,out,,move,fail,a,', 'p,drop,^sale,d,out,,move,version,b,'],
      ['p,in,\\.csv$,d,out,,move,fail,a,', 'p,in,^sale,d,out,,move,overwrite,b,'],
    ]) {
      const r = check(rows, FULL);
      expect(r.errors, rows.join(' / ')).toEqual([]);
      expect(r.warnings, rows.join(' / ')).toHaveLength(1);
    }
  });

  it('a destination bucket that is also a source bucket, without a cycle', () => {
    const r = check(['p,in,^a,p,mid,', 'p,mid,^a,p,out,', 'p,in,^b,q,in,']);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      'routes.csv:2: destination_bucket: warning: destination p/mid is also a source bucket (row at routes.csv:3 (row-2)): files delivered there will be routed again',
    ]);
  });

  it('disabled rows take no part in cross-row warnings', () => {
    const r = check(['p,in,^a,p,in,,,,,false', 'p,in,a,x,o,,,,,', 'p,in,a,y,o,,,,,no'], FULL);
    expect(r.warnings).toEqual([]);
  });

  it('a named group hiding a built-in placeholder', () => {
    expect(check(['p,in,(?P<yyyy>\\d{4}),d,out,{yyyy}']).warnings).toEqual([
      'routes.csv:2: source_file_mask: warning: named group "yyyy" hides the built-in placeholder {yyyy}: the group\'s value is used',
    ]);
  });
});

describe('validateRows: groups (complete_when, group_timeout)', () => {
  const GROUPS = `${HEADER},complete_when,group_timeout`;

  it('keeps the marker mask and the timeout (24h by default)', () => {
    const { routes, problems } = validateRows(
      loadReferentialText(
        `${GROUPS}\np,in,\\.csv$,d,out,x,^_SUCCESS$,\np,in,\\.parquet$,d,out,y,manifest\\.json$,2h\n`,
        'routes.csv',
      ),
    );
    expect(problems).toEqual([]);
    expect(routes.map((r) => [r.completeWhen, r.groupTimeoutMs])).toEqual([
      ['^_SUCCESS$', 24 * 3_600_000],
      ['manifest\\.json$', 2 * 3_600_000],
    ]);
  });

  it('refuses a marker mask the source mask can also match, naming a common name', () => {
    const { errors } = check(
      ['p,in,\\.json$,d,out,x,manifest\\.json$,', 'p,in,^data_,d,out,x,_done$,'],
      GROUPS,
    );
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('complete_when');
    expect(errors[0]).toContain('"manifest.json"');
    expect(errors[1]).toContain('both match "data_');
  });

  it('refuses an invalid marker mask, a bad timeout and a timeout without a marker', () => {
    const { errors } = check(
      ['p,in,\\.csv$,d,out,x,(,', 'p,in,\\.csv$,d,out,x,^_S$,soon', 'p,in,\\.csv$,d,out,x,,1h'],
      GROUPS,
    );
    expect(errors).toHaveLength(3);
    expect(errors[0]).toContain('invalid RE2 mask "("');
    expect(errors[1]).toContain('invalid group_timeout "soon"');
    expect(errors[2]).toContain('without complete_when');
  });
});
