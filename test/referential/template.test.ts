import { describe, expect, it } from 'vitest';
import { KeyUnsafeError } from '../../src/model/errors.js';
import { expandDirectory, parseTemplate, placeholdersOf } from '../../src/referential/template.js';

const created = new Date('2024-01-31T23:30:00-02:00'); // 2024-02-01T01:30:00Z

function expand(template: string, key = 'in/2024/sale_fr.csv', groups: Record<string, string> = {}): string {
  return expandDirectory(template, { key, created, groups });
}

describe('expandDirectory', () => {
  it('expands dates in UTC, never local time', () => {
    expect(expand('{yyyy}/{mm}/{dd}/{hh}')).toBe('2024/02/01/01');
  });

  it('expands name, stem, ext and path', () => {
    expect(expand('{name}|{stem}|{ext}|{path}')).toBe('sale_fr.csv|sale_fr|csv|in/2024');
    expect(expand('{stem}.{ext}', 'archive.tar.gz')).toBe('archive.tar.gz');
    expect(expand('{stem}-{ext}-', 'README')).toBe('README--');
    expect(expand('{stem}-{ext}', '.env')).toBe('.env-');
    expect(expand('x/{path}', 'root.csv')).toBe('x');
  });

  it('expands named groups, which win over built-ins of the same name', () => {
    expect(expand('sales/{country}/{yyyy}', 'a.csv', { country: 'fr' })).toBe('sales/fr/2024');
    expect(expand('{yyyy}', 'a.csv', { yyyy: '1999' })).toBe('1999');
  });

  it('normalizes: empty is the bucket root, no leading/trailing or doubled slashes', () => {
    expect(expand('')).toBe('');
    expect(expand('/')).toBe('');
    expect(expand('a//{country}//b/', 'a.csv', { country: '' })).toBe('a/b');
    expect(expand('{path}/x', 'top.csv')).toBe('x');
  });

  it('refuses group values that would leave their folder', () => {
    expect(() => expand('out/{g}', 'a.csv', { g: '../etc' })).toThrow(KeyUnsafeError);
    expect(() => expand('out/{g}', 'a.csv', { g: 'a/b' })).toThrow(
      /value of group \{g\} would leave its folder/,
    );
    expect(() => expand('out/{g}', 'a.csv', { g: '..' })).toThrow(KeyUnsafeError);
  });

  it('refuses a result with a dot segment or a control character', () => {
    expect(() => expand('x/{g}..', 'a.csv', { g: '' })).toThrow(/"\.\." segment/);
    expect(() => expand('x/{g}/y', 'a.csv', { g: '.' })).toThrow(/"\." segment/);
    expect(() => expand('x/{g}', 'a.csv', { g: 'a\u0000' })).toThrow(/control character/);
  });

  it('refuses an unknown placeholder with the list of known ones', () => {
    try {
      expand('{nope}');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KeyUnsafeError);
      expect((error as Error).message).toMatch(
        /unknown placeholder \{nope\}: expected one of \{yyyy\} \{mm\}/,
      );
    }
  });
});

describe('parseTemplate / placeholdersOf', () => {
  it('lists placeholders once, in order', () => {
    expect(placeholdersOf('a/{yyyy}/{country}/{yyyy}')).toEqual(['yyyy', 'country']);
    expect(placeholdersOf('plain/dir')).toEqual([]);
  });

  it('reports stray braces', () => {
    expect(parseTemplate('a/{yyyy').problems.map((p) => p.at)).toEqual([2]);
    expect(parseTemplate('a}').problems[0]!.message).toBe('unmatched "}" at offset 1');
    expect(parseTemplate('{a-b}').problems).toHaveLength(2);
  });
});
