import { isUtf8 } from 'node:buffer';

/** A message body kept as evidence: its first bytes, as text when they are UTF-8, else base64. */
export interface RawBody {
  /** `utf8`: `text` is the bytes verbatim; `base64`: the body is not UTF-8 text. */
  encoding: 'utf8' | 'base64';
  /** The first `RAW_BODY_LIMIT` bytes (cut on a character boundary for `utf8`). */
  text: string;
  /** Size of the whole body in bytes. */
  bytes: number;
  truncated: boolean;
}

/** How many bytes of an unreadable body are kept (4 KiB). */
export const RAW_BODY_LIMIT = 4096;

/** How many characters of a body an error message quotes. */
const PREVIEW_CHARS = 120;

export function bodyBytes(body: string | Uint8Array): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
}

/** The first `limit` bytes of a body, as a RawBody. */
export function rawExcerpt(body: string | Uint8Array, limit = RAW_BODY_LIMIT): RawBody {
  const bytes = bodyBytes(body);
  const truncated = bytes.length > limit;
  if (!isUtf8(bytes)) {
    return {
      encoding: 'base64',
      text: bytes.subarray(0, limit).toString('base64'),
      bytes: bytes.length,
      truncated,
    };
  }
  let end = Math.min(limit, bytes.length);
  while (end > 0 && end < bytes.length && ((bytes[end] as number) & 0xc0) === 0x80) end -= 1;
  return { encoding: 'utf8', text: bytes.subarray(0, end).toString('utf8'), bytes: bytes.length, truncated };
}

/** A short, escaped quote of a body for an error message: `"{\"bucket\":…"` or `base64 AAEC…`. */
export function rawPreview(raw: RawBody): string {
  const cut = raw.text.length > PREVIEW_CHARS || raw.truncated;
  const head = raw.text.slice(0, PREVIEW_CHARS);
  return raw.encoding === 'utf8'
    ? `${JSON.stringify(head)}${cut ? '…' : ''}`
    : `base64 ${head}${cut ? '…' : ''}`;
}
