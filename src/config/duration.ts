const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** What a duration is written as, for messages. */
export const DURATION_EXAMPLES = 'a duration like 30s, 5m or 1500ms';

/**
 * Milliseconds of a duration written `500ms`, `30s`, `5m`, `1h`, `7d`
 * (decimals allowed: `1.5s`) or as plain milliseconds; undefined when `text`
 * is none of these.
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[(m[2] ?? 'ms') as keyof typeof UNITS]);
}
