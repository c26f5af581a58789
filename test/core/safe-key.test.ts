// assertSafeKey (invariant 4), on random keys, against its plain definition:
// no `.`/`..` segment, not absolute, no control character, at most 1024
// UTF-8 bytes (keys of 3-byte characters around the limit included).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertSafeKey, MAX_KEY_BYTES } from '../../src/model/keys.js';
import { KeyUnsafeError } from '../../src/model/errors.js';

function plainVerdict(key: string): string | undefined {
  if (key.length === 0) return 'empty key';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'control character in key';
  if (key.startsWith('/')) return 'absolute key';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`;
  const dots = key.split('/').find((s) => s === '.' || s === '..');
  return dots === undefined ? undefined : `"${dots}" segment`;
}

function verdict(key: string): string | undefined {
  try {
    assertSafeKey(key);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(KeyUnsafeError);
    return (error as KeyUnsafeError).message;
  }
}

describe('assertSafeKey', () => {
  it('refuses exactly what the plain definition refuses, naming the same reason', () => {
    const units = fc.constantFrom('a', '.', '/', 'é', '€', '\u{1F600}', '\u0007', ' ');
    const keys = fc.oneof(
      fc.array(units, { maxLength: 12 }).map((u) => u.join('')),
      fc.array(units, { minLength: 300, maxLength: 700 }).map((u) => u.join('')),
      // 3-byte units around the limit: 342 of them are 1,026 bytes
      fc
        .array(fc.constantFrom('€', '€', '€', 'a', '/'), { minLength: 320, maxLength: 520 })
        .map((u) => u.join('')),
    );
    fc.assert(
      fc.property(keys, (key) => {
        const expected = plainVerdict(key);
        const got = verdict(key);
        if (expected === undefined) expect(got).toBeUndefined();
        else expect(got).toContain(expected);
      }),
      { numRuns: 3_000 },
    );
  });

  it('names the first dot segment wherever it is', () => {
    for (const [key, dots] of [
      ['.', '.'],
      ['..', '..'],
      ['a/./b', '.'],
      ['a/../b', '..'],
      ['a/b/..', '..'],
      ['./a', '.'],
    ] as const)
      expect(verdict(key)).toContain(`"${dots}" segment`);
    for (const key of ['a.', '...', 'a/.b', 'a/..b/c', '.hidden', 'a/b.', 'x/.../y'])
      expect(verdict(key)).toBeUndefined();
  });
});
