/**
 * A mask's shape: the mask with each plain literal letter and digit replaced
 * by a stand-in of its kind (`a`, `A`, `0`), everything else kept as written.
 * Masks that differ only in literal text (`^finance_\d{8}\.csv$`,
 * `^orders_\d{8}\.csv$`) have one shape, and RE2 accepts or refuses all of
 * them alike, with the same named groups: a referential of 50,000 rows
 * written from a few patterns has a few shapes, so the syntax is checked a
 * few times (see mask-check.ts). A property test proves the verdict of a mask
 * equals the verdict of its shape.
 *
 * Only what is certainly a literal is replaced. Kept as written: escapes and
 * what follows `\p`, `\P`, `\x` and a backslash-digit (octal), character
 * classes, group headers (`(?P<name>`, `(?i:`), counted repetitions, `k`/`s`
 * (RE2 folds them onto non-ASCII letters), non-ASCII text. The mask is its
 * own shape when anything could make the verdict depend on the literal text:
 * `\Q...\E`, a class holding `[`, an unknown group header, a long mask, or
 * counted repetitions large enough for RE2's size and depth limits to count.
 */

/** Longer masks are their own shape: RE2's depth limit stays out of reach below it. */
const MAX_SHAPED_LENGTH = 128;
/** RE2's size limit (re2js `Parser.MAX_SIZE`); shaped masks stay far below it. */
const RE2_MAX_SIZE = 1_398_101;
const GROUP_HEADER = /\(\?(?:P?<[^>]*>|[imsU]*(?:-[imsU]*)?[:)])/y;
const REPEAT = /\{(\d*)(?:,(\d*))?\}/y;

export function maskShape(mask: string): string {
  if (mask.length > MAX_SHAPED_LENGTH) return mask;
  let out = '';
  let repeats = 1;
  let i = 0;
  while (i < mask.length) {
    const code = mask.charCodeAt(i);
    const c = mask[i]!;
    if (c === '\\') {
      const end = escapeEnd(mask, i);
      if (end === undefined) return mask;
      out += mask.slice(i, end);
      i = end;
    } else if (c === '[') {
      const end = classEnd(mask, i);
      if (end === undefined) return mask;
      out += mask.slice(i, end);
      i = end;
    } else if (c === '(' && mask[i + 1] === '?') {
      GROUP_HEADER.lastIndex = i;
      const m = GROUP_HEADER.exec(mask);
      if (!m) return mask;
      out += m[0];
      i += m[0].length;
    } else if (c === '{') {
      REPEAT.lastIndex = i;
      const m = REPEAT.exec(mask);
      if (m) {
        const bound = Math.max(Number(m[1] || 0), Number(m[2] || 0), 1);
        repeats *= bound;
        // numRegexp × repeats must stay under RE2's size limit, whatever the text
        if (repeats * 8 * mask.length > RE2_MAX_SIZE / 2) return mask;
        out += m[0];
        i += m[0].length;
      } else {
        out += c;
        i++;
      }
    } else {
      out += standIn(code, c);
      i++;
    }
  }
  return out;
}

function standIn(code: number, c: string): string {
  if (code >= 48 && code <= 57) return '0';
  if (c === 'k' || c === 's' || c === 'K' || c === 'S') return c;
  if (code >= 97 && code <= 122) return 'a';
  if (code >= 65 && code <= 90) return 'A';
  return c;
}

/** The end of the escape at `i` (a backslash), or undefined to give up. */
function escapeEnd(mask: string, i: number): number | undefined {
  const e = mask[i + 1];
  if (e === undefined || e === 'Q' || e === 'E') return undefined;
  if (e === 'p' || e === 'P' || e === 'x') {
    if (mask[i + 2] === '{') {
      const close = mask.indexOf('}', i + 3);
      return close === -1 ? undefined : close + 1;
    }
    return Math.min(mask.length, i + (e === 'x' ? 4 : 3));
  }
  if (e >= '0' && e <= '9') {
    let end = i + 2;
    while (end < mask.length && mask[end]! >= '0' && mask[end]! <= '9') end++;
    return end;
  }
  return i + 2;
}

/** The end of the class at `i` (`[`), past its `]`, or undefined to give up. */
function classEnd(mask: string, i: number): number | undefined {
  let j = i + 1;
  if (mask[j] === '^') j++;
  let first = true;
  while (j < mask.length) {
    const c = mask[j]!;
    if (c === ']' && !first) return j + 1;
    first = false;
    if (c === '[') return undefined;
    if (c === '\\') {
      const end = escapeEnd(mask, j);
      if (end === undefined || (end > j + 2 && mask.slice(j, end).includes(']'))) return undefined;
      j = end;
    } else {
      j++;
    }
  }
  return undefined;
}
