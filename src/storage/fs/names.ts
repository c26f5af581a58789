const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A folder entry's name as a key segment, or undefined when its bytes are not valid UTF-8 (it has no key). */
export function decodeName(name: Buffer): string | undefined {
  let ascii = true;
  for (let i = 0; i < name.length; i++) {
    if ((name[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return name.toString('latin1');
  try {
    return strictUtf8.decode(name);
  } catch {
    return undefined;
  }
}

/**
 * A name whose bytes are not all UTF-8, shown readably: valid UTF-8 stays
 * as is; every other byte, and control characters, become `\xHH` (hex in
 * capitals), e.g. the Latin-1 name `r<E9>sum<E9>.csv` → `r\xE9sum\xE9.csv`.
 */
export function escapeName(name: Buffer): string {
  let out = '';
  for (let i = 0; i < name.length;) {
    const byte = name[i] as number;
    if (byte >= 0x20 && byte < 0x7f) {
      out += String.fromCharCode(byte);
      i++;
      continue;
    }
    const length =
      byte >= 0xc2 && byte <= 0xdf
        ? 2
        : byte >= 0xe0 && byte <= 0xef
          ? 3
          : byte >= 0xf0 && byte <= 0xf4
            ? 4
            : 0;
    const decoded = length > 0 ? decodeName(name.subarray(i, i + length)) : undefined;
    if (decoded !== undefined && Buffer.byteLength(decoded) === length) {
      out += decoded;
      i += length;
    } else {
      out += `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}
