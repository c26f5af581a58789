import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMaskSyntax, readSyntax } from '../../src/referential/mask-check.js';
import { maskShape } from '../../src/referential/mask-shape.js';

/** Syntax pieces, complete and broken, so literal text lands in every context a mask has. */
const PIECES = [
  '^',
  '$',
  '.',
  '.*',
  '|',
  '(',
  ')',
  '(?:',
  '(?i)',
  '(?i:',
  '(?-i:',
  '(?s)',
  '(?U)',
  '(?x)',
  '(?P<',
  '(?P<name>',
  '(?P<Name_1>',
  '(?<n>',
  '(?P<1a>',
  '(?P=name)',
  '(?=',
  '(?<=',
  '>',
  '*',
  '+',
  '?',
  '*?',
  '{2}',
  '{2,5}',
  '{5,2}',
  '{3,}',
  '{,3}',
  '{1001}',
  '{1000}',
  '{',
  '}',
  '{2,',
  ',',
  '\\',
  '\\.',
  '\\d',
  '\\D',
  '\\w',
  '\\s',
  '\\S',
  '\\b',
  '\\B',
  '\\A',
  '\\z',
  '\\Z',
  '\\C',
  '\\k',
  '\\y',
  '\\x',
  '\\x4',
  '\\x41',
  '\\x{41}',
  '\\x{',
  '\\x{110000}',
  '\\p',
  '\\pL',
  '\\p{Greek}',
  '\\p{',
  '\\P{L}',
  '\\pN',
  '\\1',
  '\\12',
  '\\0',
  '\\08',
  '\\Q',
  '\\E',
  '\\Qa.b\\E',
  '\\-',
  '\\_',
  '\\]',
  '[',
  ']',
  '[a-z]',
  '[z-a]',
  '[^0-9]',
  '[\\]]',
  '[]a]',
  '[^]a]',
  '[[:alpha:]]',
  '[[:word:]]',
  '[a-',
  '[\\d.]',
  '[\\p{L}]',
  '[\\x{41}-\\x{5a}]',
  '-',
  '_',
  ' ',
  'é',
  'ſ',
  'K',
  '\u212a',
  ':',
  '=',
  '<',
];

const WORD_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

type Token = { piece: string } | { hole: number };

const token: fc.Arbitrary<Token> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PIECES).map((piece) => ({ piece })) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map((hole) => ({ hole })) },
);

/** A skeleton and two fillings of its literal holes (same lengths, any letters and digits). */
const maskPair = fc
  .array(token, { minLength: 1, maxLength: 12 })
  .chain((tokens) => {
    const holes = tokens.flatMap((t) => ('hole' in t ? [t.hole] : []));
    const filling = fc.tuple(
      ...holes.map((n) => fc.string({ unit: fc.constantFrom(...WORD_CHARS), minLength: n, maxLength: n })),
    );
    return fc.tuple(fc.constant(tokens), filling, filling);
  })
  .map(([tokens, a, b]) => [fill(tokens, a), fill(tokens, b)] as const);

function fill(tokens: Token[], words: string[]): string {
  let k = 0;
  return tokens.map((t) => ('piece' in t ? t.piece : words[k++]!)).join('');
}

/** The verdict of a mask alone: accepted (readable, groups) or refused with re2js' message. */
function verdict(mask: string): unknown {
  try {
    return { ok: readSyntax(mask) };
  } catch (error) {
    return { refused: (error as Error).constructor.name };
  }
}

function message(run: () => unknown): unknown {
  try {
    return { ok: run() };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

describe('mask shapes', () => {
  it('replaces literal letters and digits only', () => {
    expect(maskShape('^finance000123_(?P<country>[a-z]{2})_\\d{8}\\.csv$')).toBe(
      '^aaaaaaa000000_(?P<country>[a-z]{2})_\\d{8}\\.asa$',
    );
    expect(maskShape('(?i)Sales_Report')).toBe('(?i)Saaas_Aaaaaa');
    expect(maskShape('\\x4a\\pL\\12x')).toBe('\\x4a\\pL\\12a');
    expect(maskShape('a\\Qb\\E')).toBe('a\\Qb\\E');
    // \19 is refused, \10 accepted (octal): digits after a backslash-digit are kept
    expect(maskShape('\\19x')).toBe('\\19a');
    expect(maskShape('x{1000}{1000}')).toBe('x{1000}{1000}');
  });

  it('gives a mask the verdict of its shape (RE2 syntax, readability, named groups)', () => {
    let refused = 0;
    let shared = 0;
    fc.assert(
      fc.property(maskPair, ([a, b]) => {
        for (const mask of [a, b]) {
          const v = verdict(mask);
          expect({ mask, v }).toEqual({ mask, v: verdict(maskShape(mask)) });
          if ('refused' in (v as object)) refused++;
        }
        if (maskShape(a) === maskShape(b)) {
          shared++;
          expect({ a, b, v: verdict(a) }).toEqual({ a, b, v: verdict(b) });
        }
      }),
      { numRuns: 1500, seed: 20261206 },
    );
    // the generator reaches both verdicts and masks sharing a shape
    expect(refused).toBeGreaterThan(300);
    expect(shared).toBeGreaterThan(150);
  });

  it('checks once per shape yet refuses each invalid mask with its own message', () => {
    fc.assert(
      fc.property(maskPair, ([a, b]) => {
        for (const mask of [a, b]) {
          expect({ mask, got: message(() => checkMaskSyntax(mask)) }).toEqual({
            mask,
            got: message(() => readSyntax(mask)),
          });
        }
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});
