// How validate's cycle, self-route and same-key checks read the name a row
// delivers when a transform renames it (.csv → .parquet, .gz gained or lost),
// with or without destination_name; and the error for one file written to
// one key by two rows with different transforms (the router's E_CONFLICT).
import { describe, expect, it } from 'vitest';
import { loadReferentialText } from '../../src/referential/load.js';
import { deliveredAnchors, deliveredName, namesDelivering } from '../../src/referential/renamed.js';
import { formatProblem, validateRows } from '../../src/referential/validate.js';
import { route } from './helpers.js';

const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,destination_name,transform';

function check(...lines: string[]): { errors: string[]; warnings: string[] } {
  const { problems } = validateRows(loadReferentialText([HEADER, ...lines].join('\n'), 'routes.csv'));
  return {
    errors: problems.filter((p) => p.severity === 'error').map(formatProblem),
    warnings: problems.filter((p) => p.severity === 'warning').map(formatProblem),
  };
}

describe('the name a row delivers', () => {
  it('is renamed by the transform, with or without destination_name', () => {
    expect(deliveredName(route('\\.csv$', { transform: 'csv-to-parquet' }), 'a.csv')).toBe('a.parquet');
    expect(deliveredName(route('\\.csv$', { transform: 'gzip' }), 'a.csv')).toBe('a.csv.gz');
    expect(
      deliveredName(route('\\.csv$', { destinationName: 'x_{name}', transform: 'csv-to-parquet' }), 'a.csv'),
    ).toBe('x_a.parquet');
    expect(deliveredName(route('\\.csv$', { transform: 'csv-to-parquet' }), 'a.txt')).toBeUndefined();
  });

  it('has the literal ends of its template, renamed by the transform', () => {
    const anchors = { prefix: '', suffix: '.csv' };
    expect(deliveredAnchors(route('\\.csv$', { transform: 'csv-to-parquet' }), anchors)).toEqual({
      prefix: '',
      suffix: '.parquet',
    });
    expect(deliveredAnchors(route('\\.csv$', { destinationName: 'out_{stem}.csv' }), anchors)).toEqual({
      prefix: 'out_',
      suffix: '.csv',
    });
    expect(
      deliveredAnchors(route('\\.csv$', { destinationName: 'out_{stem}.csv', transform: 'gzip' }), anchors),
    ).toEqual({ prefix: 'out_', suffix: '.csv.gz' });
    // a template ending in a placeholder: nothing certain, unless the transform adds an extension
    expect(deliveredAnchors(route('\\.csv$', { destinationName: '{stem}' }), anchors)).toEqual({
      prefix: '',
      suffix: '',
    });
    expect(
      deliveredAnchors(route('\\.csv$', { destinationName: '{stem}', transform: 'csv-to-parquet' }), anchors),
    ).toEqual({ prefix: '', suffix: '.parquet' });
  });

  it('namesDelivering inverts the transform: every candidate delivers the name', () => {
    for (const [transform, delivered] of [
      ['csv-to-parquet', 'a.parquet'],
      ['csv-to-jsonl', 'a.jsonl'],
      ['gzip', 'a.csv.gz'],
      ['gunzip', 'a.csv'],
    ] as const) {
      const r = route('.', { transform });
      const names = namesDelivering(r, delivered);
      expect(names.length).toBeGreaterThan(0);
      for (const n of names) expect(deliveredName(r, n)).toBe(delivered);
    }
    expect(namesDelivering(route('.', { transform: 'csv-to-parquet' }), 'a.csv')).toEqual([]);
  });
});

describe('cycles through a csv-to-parquet row', () => {
  it('a → b as .parquet, b → a taking only .csv, is no cycle', () => {
    expect(check('p,a,\\.csv$,p,b,,,csv-to-parquet', 'p,b,\\.csv$,p,a,,,').errors).toEqual([]);
    expect(check('p,a,\\.csv$,p,b,,,', 'p,b,\\.csv$,p,a,,,').errors).toHaveLength(2);
  });

  it('b taking .parquet back to a is no cycle, unless it is renamed .csv on the way', () => {
    // x.parquet arrives in a, where \.csv$ cannot take it on
    expect(check('p,a,\\.csv$,p,b,,,csv-to-parquet', 'p,b,\\.parquet$,p,a,,,').errors).toEqual([]);
    expect(check('p,a,\\.csv$,p,b,,,csv-to-parquet', 'p,b,\\.parquet$,p,a,,{stem}.csv,').errors).toEqual([
      expect.stringContaining('E_ROUTING_LOOP: row row-1'),
      expect.stringContaining('E_ROUTING_LOOP: row row-2'),
    ]);
  });

  it('destination_name is read by its literal ends: a template ending in .txt cannot come back as .csv', () => {
    expect(check('p,a,\\.csv$,p,b,,{stem}.txt,', 'p,b,\\.csv$,p,a,,,').errors).toEqual([]);
    expect(check('p,a,\\.csv$,p,b,,{stem}.csv,', 'p,b,\\.csv$,p,a,,,').errors).toHaveLength(2);
    // a template ending in a placeholder may give any name back
    expect(check('p,a,\\.csv$,p,b,,{stem},', 'p,b,\\.csv$,p,a,,,').errors).toHaveLength(2);
  });

  it('destination_name and transform together: the template end, then the extension the transform gives', () => {
    // {stem}.csv then csv-to-parquet arrives as .parquet: no cycle with a .csv row back
    expect(check('p,a,\\.csv$,p,b,,{stem}.csv,csv-to-parquet', 'p,b,\\.csv$,p,a,,,').errors).toEqual([]);
    // gzip after a template ending in .csv arrives as .csv.gz, which \.gz$ takes back
    expect(check('p,a,\\.csv$,p,b,,{stem}.csv,gzip', 'p,b,\\.gz$,p,a,,,gunzip').errors).toHaveLength(2);
  });
});

describe('a csv-to-parquet row beside its source', () => {
  it('is a warning when the mask cannot match .parquet, an error when it may', () => {
    const ok = check('src,in,\\.csv$,src,in,,,csv-to-parquet');
    expect(ok.errors).toEqual([]);
    expect(ok.warnings).toEqual([expect.stringMatching(/cannot match the renamed name/)]);
    expect(check('src,in,data,src,in,,,csv-to-parquet').errors).toEqual([
      expect.stringMatching(/E_DESTINATION_IS_SOURCE: .*csv-to-parquet output/),
    ]);
  });

  it('a destination_name giving the name back is read with the transform: {name} under csv-to-parquet is a warning, {stem}.{ext} of .gz under gzip an error', () => {
    const kept = check('src,in,\\.csv$,src,in,,{name},csv-to-parquet');
    expect(kept.errors).toEqual([]);
    expect(kept.warnings).toEqual([expect.stringMatching(/cannot match the renamed name/)]);
    expect(check('src,in,\\.gz$,src,in,,{stem}.{ext},gzip').errors).toEqual([
      expect.stringMatching(/E_DESTINATION_IS_SOURCE: .*gzip output beside the source/),
    ]);
  });
});

describe('two rows, one destination key', () => {
  it('one file written by two rows with different transforms to one key is E_CONFLICT naming both rows', () => {
    // x.csv → x.jsonl twice: by the transform, and by a template without one
    const { errors, warnings } = check(
      'p,in,\\.csv$,d,out,x,,csv-to-jsonl',
      'p,in,\\.csv$,d,out,x,{stem}.jsonl,',
    );
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^routes\.csv:3: transform: warning: E_CONFLICT: this row and the one at routes\.csv:2 \(row-1\) write one file to the same key d\/out\/x\/.*\.jsonl .*transform none and csv-to-jsonl/,
      ),
    ]);
    // gunzip keeps a name without .gz: x.csv is written as x.csv by both rows, once decompressed
    const gunzip = check('p,in,\\.csv$,d,out,,,gunzip', 'p,in,\\.csv$,d,out,,,');
    expect(gunzip.warnings).toEqual([expect.stringMatching(/E_CONFLICT: .*transform none and gunzip\)/)]);
    // from two buckets they are two files: the usual same-key warning
    const twoBuckets = check('p,in,\\.csv$,d,out,,,gunzip', 'p,other,\\.csv$,d,out,,,');
    expect(twoBuckets.warnings.join('\n')).toMatch(/can write the same key/);
    expect(twoBuckets.warnings.join('\n')).not.toMatch(/E_CONFLICT/);
  });

  it('two transforms that rename differently do not meet, and a transform keeps rows apart from a plain copy', () => {
    const r = check(
      'p,in,\\.csv$,d,out,x,,csv-to-jsonl',
      'p,in,\\.csv$,d,out,x,,csv-to-parquet',
      'p,in,\\.csv$,d,out,x,,',
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings.join('\n')).not.toMatch(/same key/);
  });

  it('the same transform twice is one delivery: the usual warning', () => {
    const r = check('p,in,\\.csv$,d,out,x,,csv-to-parquet', 'p,in,^sale,d,out,x,,csv-to-parquet');
    expect(r.errors).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(/can write the same key d\/out\/x\/sale.*\.parquet/);
  });

  it('two files meeting at one key by a transform: a warning naming both files', () => {
    // a.csv becomes a.csv.gz by gzip; a file a.csv.gz is delivered as is by the other row
    const r = check('p,in,\\.csv$,d,out,x,,gzip', 'p,in,\\.gz$,d,out,x,,');
    expect(r.errors).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(/can write the same key d\/out\/x\/.*\.csv\.gz .*as is a file/);
  });
});
