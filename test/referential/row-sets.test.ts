// Sets made of a referential's rows, once per referential: whether some row
// delivers into a bucket (the router's loop guard asks for every file it
// sees), which projects rows take files from (the HTTP receiver, per event).
import { describe, expect, it } from 'vitest';
import { isDestinationBucket, sourceProjectsOf } from '../../src/referential/row-sets.js';
import { compileReferential } from '../../src/referential/referential.js';
import { loadReferentialText } from '../../src/referential/load.js';

const rows = (text: string) => loadReferentialText(text, 'routes.csv');

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,enabled\n';

describe('isDestinationBucket', () => {
  it('is true for every row’s destination bucket, disabled rows too, and for nothing else', () => {
    const referential = compileReferential(
      rows(`${HEADER}land,in,^a,fin,raw,,true\nland,in,^b,sales,raw,,false\n`),
      'routes.csv',
    );
    expect(isDestinationBucket(referential, 'fin', 'raw')).toBe(true);
    expect(isDestinationBucket(referential, 'sales', 'raw')).toBe(true);
    expect(isDestinationBucket(referential, 'land', 'in')).toBe(false);
    expect(isDestinationBucket(referential, 'fin', 'in')).toBe(false);
    // project and bucket are told apart, whatever their letters
    expect(isDestinationBucket(referential, 'fi', 'nraw')).toBe(false);
    expect(isDestinationBucket(referential, 'finr', 'aw')).toBe(false);
  });

  it('answers for each referential by its own rows', () => {
    const before = compileReferential(rows(`${HEADER}land,in,^a,fin,raw,,true\n`), 'routes.csv');
    expect(isDestinationBucket(before, 'fin', 'raw')).toBe(true);
    const after = compileReferential(rows(`${HEADER}land,in,^a,ops,raw,,true\n`), 'routes.csv');
    expect(isDestinationBucket(after, 'fin', 'raw')).toBe(false);
    expect(isDestinationBucket(after, 'ops', 'raw')).toBe(true);
    expect(isDestinationBucket(before, 'ops', 'raw')).toBe(false);
  });

  it('sourceProjectsOf: every row’s source project, disabled rows too', () => {
    const referential = compileReferential(
      rows(`${HEADER}land,in,^a,fin,raw,,true\nedge,in,^b,sales,raw,,false\nland,other,^c,fin,raw,,true\n`),
      'routes.csv',
    );
    expect([...sourceProjectsOf(referential)].sort()).toEqual(['edge', 'land']);
    expect(sourceProjectsOf(referential)).toBe(sourceProjectsOf(referential));
  });
});
