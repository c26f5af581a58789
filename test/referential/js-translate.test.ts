import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { translateToJs } from '../../src/referential/js-translate.js';
import { parseMask } from '../../src/referential/mask-syntax.js';
import { pick, random } from './helpers.js';

const js = (mask: string): RegExp | undefined => translateToJs(parseMask(mask));

describe('translateToJs: only masks whose backtracking is linear', () => {
  it.each([
    '^finance_(?P<country>[a-z]{2})_\\d{8}\\.csv$',
    '(?i)invoice',
    '^[a-z]+_(?P<d>\\d{4}-\\d{2}-\\d{2})\\.log$',
    '^export_\\d+\\.json(\\.gz)?$',
    '^(?P<vendor>acme|globex)_(?P<batch>\\d+)_x\\.(csv|tsv)$',
    '\\.(csv|tsv)\\.gz$',
    'sale_[^_]{2}',
  ])('translates %s', (mask) => {
    expect(js(mask)).toBeInstanceOf(RegExp);
  });

  it.each([
    ['(a+)+$', 'nested unbounded repetition'],
    ['^(a|aa)*c', 'choices inside an unbounded repetition'],
    ['sale.*\\.csv', 'unanchored with an unbounded repetition: quadratic'],
    ['^a.*b.*c', 'two unbounded repetitions'],
    ['^(?:a?){30}', 'too many choices'],
    ['\\bsale\\b', 'word boundary'],
    ['(?m)^sale', 'multi-line anchors'],
    ['[[:alpha:]]x', 'POSIX class'],
    ['\\pNx', 'Unicode class'],
    ['(?i)café', 'non-ASCII under (?i)'],
    ['^(?:(?P<x>a)b)+', 'capture inside a repetition'],
  ])('keeps %s on re2js (%s)', (mask) => {
    expect(js(mask)).toBeUndefined();
  });

  it('writes explicit equivalents of RE2 constructs', () => {
    expect(js('^a.b$')!.source).toBe('^\\u{61}[^\\n]\\u{62}$');
    expect(js('(?i)^ks$')!.source).toBe('^[\\u{6b}\\u{4b}\\u{212a}][\\u{73}\\u{53}\\u{17f}]$');
    expect(js('^\\d\\w\\s')!.source).toBe(
      '^[\\u{30}-\\u{39}][\\u{30}-\\u{39}\\u{41}-\\u{5a}\\u{5f}\\u{61}-\\u{7a}][\\u{9}-\\u{a}\\u{c}-\\u{d}\\u{20}]',
    );
    expect(js('^a+?(?P<n>b)')!.source).toBe('^(?:\\u{61}){1,}?(?<n>\\u{62})');
  });
});

const ATOMS = [
  'a',
  'b',
  'k',
  's',
  'K',
  '_',
  '\\.',
  '.',
  '\\d',
  '\\D',
  '\\w',
  '\\W',
  '\\s',
  '\\S',
  '[a-c]',
  '[^a-c]',
  '[k-t]',
  '[^_.]',
  '[\\d_]',
  '[-a]',
  '(?i:k)',
  '(?i:[a-c])',
  '(?i:[^s])',
  '(?i:\\w)',
  '(?s:.)',
  '(?P<g>[ab])',
  '(x|y|ab)',
  'é',
  '\\x{1F600}',
];
const QUANT = ['', '', '', '?', '{2}', '{1,3}', '+', '*', '+?', '*?', '??'];

function randomMask(rnd: () => number): string {
  let mask = rnd() < 0.6 ? '^' : '';
  const n = 1 + Math.floor(rnd() * 5);
  for (let i = 0; i < n; i++) mask += pick(rnd, ATOMS) + pick(rnd, QUANT);
  if (rnd() < 0.4) mask += '$';
  if (rnd() < 0.15) mask = `(?i)${mask}`;
  if (rnd() < 0.1) mask = `(?U)${mask}`;
  return mask;
}

const CHARS = [
  'a',
  'b',
  'c',
  'k',
  's',
  'K',
  'S',
  'A',
  '_',
  '.',
  '-',
  '0',
  '9',
  'x',
  'y',
  ' ',
  '\t',
  '\n',
  '\r',
  '\u2028',
  'é',
  'É',
  '\u212a',
  '\u017f',
  '\u0130',
  '\u0131',
  '\u{1F600}',
];

describe('translateToJs: same answers as re2js (property)', () => {
  it('matches, match positions and named groups agree on random masks and names', () => {
    const rnd = random(99);
    let translated = 0;
    let compared = 0;
    for (let m = 0; m < 600; m++) {
      const mask = randomMask(rnd);
      let re2: RE2JS;
      try {
        re2 = RE2JS.compile(mask);
      } catch {
        continue;
      }
      const re = translateToJs(parseMask(mask));
      if (!re) continue;
      translated++;
      for (let i = 0; i < 60; i++) {
        let name = '';
        const len = Math.floor(rnd() * 9);
        for (let k = 0; k < len; k++) name += pick(rnd, CHARS);
        const a = re2.exec(name);
        const b = re.exec(name);
        const shape = (r: RegExpExecArray | unknown[] | null): unknown =>
          r === null
            ? null
            : {
                at: (r as { index: number }).index,
                text: r[0],
                groups: { ...((r as { groups?: object }).groups ?? {}) },
              };
        if (JSON.stringify(shape(a)) !== JSON.stringify(shape(b))) {
          expect({ mask, name, js: shape(b) }).toEqual({ mask, name, js: shape(a) });
        }
        compared++;
      }
    }
    expect(translated).toBeGreaterThan(150);
    expect(compared).toBeGreaterThan(9000);
  });
});
