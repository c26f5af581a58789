import { describe, expect, it } from 'vitest';
import { RE2JS } from 're2js';
import {
  compileMask,
  compileMatcher,
  compileNaiveMatcher,
  literalsOf,
} from '../../src/referential/matcher.js';
import type { RouteMatch } from '../../src/referential/types.js';
import { pick, random, route, routes } from './helpers.js';

function matches(mask: string, name: string): boolean {
  return compileMatcher([route(mask)]).match('p', 'b', name).length === 1;
}

function groupsOf(mask: string, name: string): Record<string, string> | undefined {
  return compileMatcher([route(mask)]).match('p', 'b', name)[0]?.groups;
}

/** Cases as BigQuery's REGEXP_CONTAINS(name, mask) answers them (RE2, unanchored search). */
const CASES: Array<[mask: string, name: string, expected: boolean]> = [
  ['finance', 'my_finance_2024.csv', true],
  ['^finance', 'my_finance_2024.csv', false],
  ['^finance', 'finance_2024.csv', true],
  ['csv$', 'a.csv', true],
  ['csv$', 'a.csv.gz', false],
  ['\\.csv$', 'a_csv', false],
  ['.csv', 'a_csv', true],
  ['^a.c$', 'abc', true],
  ['^a\\.c$', 'abc', false],
  ['(?i)INVOICE', 'Invoice_2024.pdf', true],
  ['INVOICE', 'Invoice_2024.pdf', false],
  ['(?i:inv)OICE', 'invOICE', true],
  ['(?i:inv)OICE', 'invoice', false],
  ['x(?i)abc|def', 'xDEF', true],
  ['(?i)k', '\u212a', true],
  ['(?i)s', '\u017f', true],
  ['(?i)ks', 'K\u017f', true],
  ['(?i)i', '\u0130', false],
  ['\\d{4}', 'report_2024.csv', true],
  ['\\d{4}', 'report_202.csv', false],
  ['[[:digit:]]{2}_', 'x12_', true],
  ['[[:alpha:]]+\\.txt$', '123.txt', false],
  ['\\pN', 'a\u0663', true],
  ['\\p{Greek}', 'αβ.csv', true],
  ['\\Q.csv\\E$', 'a.csv', true],
  ['\\Q.csv\\E$', 'a_csv', false],
  ['[.]csv$', 'a_csv', false],
  ['\\x2ecsv$', 'a.csv', true],
  ['\\x{1F600}', 'smile\u{1F600}.png', true],
  ['é', 'café.txt', true],
  ['^.{3}$', '\u{1F600}ab', true],
  ['^$', '', true],
  ['^$', 'a', false],
  ['a|^b', 'xb', false],
  ['a|^b', 'bx', true],
  ['\\bsale\\b', 'wholesale_report', false],
  ['\\bsale\\b', 'q1-sale-report', true],
  ['\\Asale', 'sale', true],
  ['sale\\z', 'xsale', true],
  ['(?m)^sale$', 'sale', true],
  ['a{2,}b', 'aab', true],
  ['a{2,}b', 'ab', false],
  ['(ab){2}', 'xababx', true],
  ['(ab){2}', 'xabx', false],
  ['a{,2}', 'a{,2}', true],
  ['a{,2}', 'aa', false],
  ['(csv|json)$', 'a.json', true],
  ['(csv|json)$', 'a.xml', false],
  ['^(?:sale|sales)_(?P<c>[a-z]{2})', 'sales_fr', true],
  ['^[^_]+_x', 'ab_x', true],
  ['^[^_]+_x', '_x', false],
  ['[]a]x', ']x', true],
  ['[^]a]x', ']x', false],
];

describe('matching semantics (RE2, unanchored like REGEXP_CONTAINS)', () => {
  it.each(CASES)('%s on %j → %s', (mask, name, expected) => {
    expect(matches(mask, name)).toBe(expected);
  });

  it('extracts named groups, leftmost-first like RE2', () => {
    expect(groupsOf('^sale_(?P<country>[a-z]{2})_(?P<date>\\d{8})', 'sale_fr_20240131.csv')).toEqual({
      country: 'fr',
      date: '20240131',
    });
    expect(groupsOf('(?P<x>a+?)', 'aaa')).toEqual({ x: 'a' });
    expect(groupsOf('(?P<x>a+)', 'baaa')).toEqual({ x: 'aaa' });
    expect(groupsOf('(?<short>\\d+)', 'v12')).toEqual({ short: '12' });
    expect(groupsOf('(?P<a>x)|(?P<b>y)', 'y')).toEqual({ a: '', b: 'y' });
    expect(groupsOf('sale', 'sale')).toEqual({});
  });

  it('a pathological mask returns promptly (linear time, no backtracking)', () => {
    const name = `${'a'.repeat(5000)}b`;
    expect(matches('(a+)+$', name)).toBe(false);
    expect(matches('(a+)+b$', name)).toBe(true);
    expect(matches('^(a+)+$', name)).toBe(false);
    expect(matches('(a|aa)*c', name)).toBe(false);
    expect(matches('(.*a){20}x', name)).toBe(false);
  });
});

describe('match() routing semantics', () => {
  it('returns every matching enabled row of that project+bucket, in file order (fan-out)', () => {
    const rs = [
      route('\\.csv$', {}, 1),
      route('^sale', { sourceBucket: 'other' }, 2),
      route('^sale', { enabled: false }, 3),
      route('sale', {}, 4),
      route('^sale', { sourceProject: 'q' }, 5),
      route('(?i)SALE', {}, 6),
    ];
    const m = compileMatcher(rs);
    expect(m.match('p', 'b', 'sale_fr.csv').map((x) => x.route.id)).toEqual(['row-1', 'row-4', 'row-6']);
    expect(m.match('q', 'b', 'sale_fr.csv').map((x) => x.route.id)).toEqual(['row-5']);
    expect(m.match('p', 'other', 'x_sale').map((x) => x.route.id)).toEqual([]);
    expect(m.match('p', 'nope', 'sale.csv')).toEqual([]);
    expect(m.match('nope', 'b', 'sale.csv')).toEqual([]);
  });
});

describe('literal analysis', () => {
  it('finds the literals every match must contain', () => {
    const req = (mask: string): string[][] =>
      literalsOf(mask).requirements.map((r) => r.map((l) => (l.folded ? `i:${l.text}` : l.text)));
    expect(req('^finance_(?P<country>[a-z]{2})_\\d{8}\\.csv$')).toEqual([['finance_'], ['.csv'], ['_']]);
    expect(req('sale.*\\.csv')).toEqual([['sale'], ['.csv']]);
    expect(req('(?i)Invoice')).toEqual([['i:invoice']]);
    expect(req('(csv|json)$')).toEqual([['csv', 'json']]);
    expect(req('a?b*')).toEqual([]);
    expect(req('(?i)café')).toEqual([['i:caf']]);
    expect(req('x(?i)ab')).toEqual([['i:xab']]);
    expect(req('\\1')).toEqual([]);
    expect(literalsOf('\\.parquet$').exact).toEqual({ text: '.parquet', start: false, end: true });
    expect(literalsOf('(?i)abc').exact).toBeUndefined();
  });
});

function sameMatches(a: readonly RouteMatch[], b: readonly RouteMatch[]): boolean {
  return (
    JSON.stringify(a.map((m) => [m.route.id, m.groups])) ===
    JSON.stringify(b.map((m) => [m.route.id, m.groups]))
  );
}

const WORDS = [
  'sale',
  'sales',
  'finance',
  'csv',
  'json',
  'Invoice',
  'report',
  'fr',
  'K',
  'ks',
  'é',
  '_',
  '-',
  '.',
  '2024',
  'parquet',
  'gz',
];
const PIECES = [
  '\\.',
  '.',
  '.*',
  '.+',
  '[a-z]{2}',
  '\\d{4}',
  '\\d+',
  '[0-9]',
  '_',
  '(csv|json)',
  '(?P<g>[a-z]+)',
  '(?:_|-)',
  '[.]',
  '\\Q.csv\\E',
  '\\x2e',
  '(?i:sale)',
  '(?i)',
  'x?',
  '(?:ab)+',
  '\\b',
  '[^_]',
  '\\w*',
];

function randomMask(rnd: () => number): string {
  let mask = rnd() < 0.3 ? '^' : '';
  const n = 1 + Math.floor(rnd() * 5);
  for (let i = 0; i < n; i++) mask += rnd() < 0.5 ? pick(rnd, WORDS).replace('.', '\\.') : pick(rnd, PIECES);
  if (rnd() < 0.3) mask += '$';
  if (rnd() < 0.1) mask = `(?i)${mask}`;
  if (rnd() < 0.1) mask = `${mask}|${pick(rnd, WORDS)}`;
  return mask;
}

const NAME_CHARS = [
  'a',
  'b',
  'x',
  'S',
  'E',
  '_',
  '.',
  '-',
  '0',
  '7',
  'é',
  'É',
  '\u212a',
  '\u017f',
  'K',
  'k',
  '\u0130',
  '\u{1F600}',
  ' ',
];

function randomName(rnd: () => number): string {
  let name = '';
  const n = Math.floor(rnd() * 6);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.5) name += pick(rnd, WORDS);
    else if (r < 0.6) name += pick(rnd, WORDS).toUpperCase();
    else name += pick(rnd, NAME_CHARS);
  }
  return name;
}

describe('compiled masks', () => {
  it('give RE2 answers by their JavaScript translation or their re2js program, rebuilt when asked', () => {
    const cases: Array<[string, string[]]> = [
      ['^sale_(?P<country>[a-z]{2})_\\d{8}\\.csv$', ['sale_fr_20240131.csv', 'sale_FR_20240131.csv']],
      ['(?i)finance_report', ['Q1_FINANCE_REPORT.pdf', 'finance-report']],
      ['\\pL+\\.csv', ['été.csv', '.csv']],
    ];
    for (const [mask, names] of cases) {
      const compiled = compileMask(mask);
      const reference = RE2JS.compile(mask);
      for (const name of names) {
        expect(compiled.test(name)).toBe(reference.test(name));
        expect(compiled.regex.test(name)).toBe(reference.test(name));
        expect(compiled.exec(name)?.[0] ?? null).toBe(reference.exec(name)?.[0] ?? null);
      }
    }
    expect(compileMask('(?i)finance_report')).toBe(compileMask('(?i)finance_report'));
  });

  it('refuse exactly the masks re2js refuses, and name the groups re2js names (property)', () => {
    const rnd = random(7);
    let refused = 0;
    const samples = [
      '(?P<a>x)(?P<b>(?P<c>y)|z)*',
      '(?P<a>x)(?P<a>y)',
      '(?P<1a>x)',
      'x{1001}',
      '[z-a]',
      '(?<n>x)',
      'a**',
    ];
    for (let i = 0; i < 600; i++) samples.push(randomMask(rnd));
    for (const mask of samples) {
      let expected: string[] | undefined;
      try {
        expected = Object.keys(RE2JS.compile(mask).namedGroups());
      } catch {
        expected = undefined;
      }
      let got: string[] | undefined;
      try {
        got = compileMask(mask).groupNames;
      } catch {
        got = undefined;
      }
      expect({ mask, groups: got }).toEqual({ mask, groups: expected });
      if (expected === undefined) refused++;
    }
    expect(refused).toBeGreaterThanOrEqual(4);
  });

  it('matches in one bucket after another bucket matched (each bucket compiled on its first name)', () => {
    const m = compileMatcher([
      route('^a_', { sourceBucket: 'x' }, 1),
      route('^b_', { sourceBucket: 'y' }, 2),
    ]);
    expect(m.match('p', 'y', 'b_1').map((r) => r.route.id)).toEqual(['row-2']);
    expect(m.match('p', 'x', 'b_1')).toEqual([]);
    expect(m.match('p', 'x', 'a_1').map((r) => r.route.id)).toEqual(['row-1']);
    expect(m.match('p', 'y', 'a_1')).toEqual([]);
  });
});

describe('prefilter equivalence (property)', () => {
  it('the fast matcher returns exactly what running every re2js regex returns', () => {
    const rnd = random(20240131);
    let unmatched = 0;
    for (let round = 0; round < 8; round++) {
      const masks: string[] = [];
      while (masks.length < 40) {
        const mask = randomMask(rnd);
        try {
          compileNaiveMatcher([route(mask)]);
          masks.push(mask);
        } catch {
          // not a valid RE2 mask; the validator refuses it
        }
      }
      const rs = routes(masks);
      const fast = compileMatcher(rs);
      const naive = compileNaiveMatcher(rs);
      let matched = 0;
      for (let i = 0; i < 1500; i++) {
        const name = randomName(rnd);
        const a = fast.match('p', 'b', name);
        const b = naive.match('p', 'b', name);
        if (!sameMatches(a, b)) {
          expect({
            name,
            masks: b.map((m) => m.route.mask),
            fast: a.map((m) => [m.route.mask, m.groups]),
          }).toEqual({
            name,
            masks: b.map((m) => m.route.mask),
            fast: b.map((m) => [m.route.mask, m.groups]),
          });
        }
        if (b.length > 0) matched++;
        else unmatched++;
      }
      expect(matched).toBeGreaterThan(100);
    }
    expect(unmatched).toBeGreaterThan(1000);
  });

  it('holds for realistic masks and names built from their literals', () => {
    const masks = [
      '^finance_(?P<country>[a-z]{2})_\\d{8}\\.csv$',
      'sale.*\\.csv',
      '(?i)invoice',
      '\\.parquet$',
      '^export_\\d+\\.json(\\.gz)?$',
      '(?i)^HR[-_]',
      'payroll',
      '^[a-z]+_(?P<d>\\d{4}-\\d{2}-\\d{2})\\.log$',
      '\\.(csv|tsv)\\.gz$',
      '^tmp',
    ];
    const rs = routes(masks);
    const fast = compileMatcher(rs);
    const naive = compileNaiveMatcher(rs);
    const rnd = random(7);
    const parts = [
      'finance_',
      'fr',
      '_',
      '20240131',
      '.csv',
      'sale',
      'SALE',
      'Invoice',
      'INVOICE',
      '.parquet',
      'export_',
      '12',
      '.json',
      '.gz',
      'hr-',
      'HR_',
      'payroll',
      'app_',
      '2024-01-31',
      '.log',
      '.tsv',
      'tmp',
      'x',
      '\u212a',
    ];
    let matched = 0;
    for (let i = 0; i < 5000; i++) {
      let name = '';
      const n = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < n; k++) name += pick(rnd, parts);
      const b = naive.match('p', 'b', name);
      expect(sameMatches(fast.match('p', 'b', name), b)).toBe(true);
      if (b.length > 0) matched++;
    }
    expect(matched).toBeGreaterThan(500);
  });
});
