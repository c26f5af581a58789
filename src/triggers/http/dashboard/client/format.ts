/** How numbers, sizes, instants and spans read on the page (en-US, UTC). */

export function count(n: number | undefined): string {
  return (n ?? 0).toLocaleString('en-US');
}

/** Decimal units, three significant digits: `999 B`, `1.50 KB`, `12.3 MB`, `420 GB`. */
export function bytes(n: number | undefined): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;
  let value = n ?? 0;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  const digits = i === 0 ? String(value) : value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2);
  return `${digits} ${units[i]}`;
}

/** `2024-05-01 12:34:56Z`; empty for no instant. */
export function time(ms: number | undefined | null): string {
  if (ms === undefined || ms === null) return '';
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)}Z`;
}

/** `12:34` when within a day of `now`, else `05-01`. */
export function shortTime(ms: number, now: number): string {
  const t = time(ms);
  return now - ms < 86_400_000 ? t.slice(11, 16) : t.slice(5, 10);
}

/** A span: `42 s`, `5 min`, `3 h 20 min`, `2 d 4 h`; `–` for none. */
export function age(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || ms < 0) return '–';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** At most `max` characters, the middle cut: `a_very…_name.csv`. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.ceil(max / 2) - 1)}…${text.slice(text.length - Math.floor(max / 2))}`;
}

/** At most `max` characters, the end cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
