import { UsageError } from '../../../model/errors.js';
import type { DeliveryRecord, DeliveryState, UnroutedRecord } from '../../../ledger/types.js';
import { DELIVERY_STATES } from '../../../ledger/types.js';
import { fileNameOf, formatLocation } from '../../../model/keys.js';
import type { DeliveryView, UnroutedView, WindowName, WindowView } from './api-types.js';

/** Each window's span in ms; `all` has none. */
export const WINDOWS: Readonly<Record<WindowName, number | undefined>> = {
  '1h': 3_600_000,
  '6h': 21_600_000,
  '24h': 86_400_000,
  '7d': 604_800_000,
  '30d': 2_592_000_000,
  all: undefined,
};
export const DEFAULT_WINDOW: WindowName = '24h';

/** `?window=` → the window and its start (400 `E_USAGE` for an unknown name). */
export function parseWindow(value: string | undefined, now: number): WindowView {
  const name = (value ?? DEFAULT_WINDOW) as WindowName;
  if (!Object.hasOwn(WINDOWS, name)) {
    throw new UsageError(
      `[switchyard] [dashboard] unknown window ${JSON.stringify(value)}: use ${Object.keys(WINDOWS).join(', ')}`,
      {
        window: String(value),
      },
    );
  }
  const span = WINDOWS[name];
  return span === undefined ? { name } : { name, sinceMs: now - span };
}

export function deliveryView(r: DeliveryRecord): DeliveryView {
  const timeline: DeliveryView['timeline'] = { received: r.createdAt };
  if (r.writtenAt !== undefined) timeline.written = r.writtenAt;
  if (r.verifiedAt !== undefined) timeline.verified = r.verifiedAt;
  if (r.doneAt !== undefined) timeline.done = r.doneAt;
  if (r.sourceDeletedAt !== undefined) timeline.sourceDeleted = r.sourceDeletedAt;
  if (r.nextAttemptAt !== undefined) timeline.nextAttempt = r.nextAttemptAt;
  const view: DeliveryView = {
    id: r.id,
    name: fileNameOf(r.source.key),
    source: formatLocation(r.source),
    generation: r.generation,
    route: r.routeId,
    destination: formatLocation(r.destination),
    action: r.action,
    size: r.size,
    state: r.state,
    attempts: r.attempts,
    updatedAt: r.updatedAt,
    timeline,
    retryable: r.state === 'dead' && isRetryableRoute(r.routeId),
  };
  if (r.crc32c !== undefined) view.crc32c = r.crc32c;
  if (r.errorCode !== undefined || r.lastError !== undefined) {
    view.error = { code: r.errorCode ?? 'E_UNKNOWN', message: r.lastError ?? '' };
  }
  return view;
}

/** Deliveries the router records dead for an unsafe key: routing them again cannot help. */
export function isRetryableRoute(routeId: string): boolean {
  return routeId !== '(unsafe-key)';
}

export function unroutedView(u: UnroutedRecord): UnroutedView {
  return {
    source: formatLocation(u.source),
    name: fileNameOf(u.source.key),
    generation: u.generation,
    size: u.size,
    firstSeenAt: u.firstSeenAt,
    lastSeenAt: u.lastSeenAt,
    reason: unroutedReason(u.reason),
  };
}

/** Why a file is unrouted, in words, from the code the ledger keeps (none: no mask matches). */
function unroutedReason(code: string | undefined): string {
  if (code === 'E_KEY_ENCODING')
    return 'E_KEY_ENCODING: the file name is not UTF-8 (shown escaped as \\xHH); it has no key to route by and is left in place';
  if (code) return code;
  return 'no referential row of this source bucket matches the file name';
}

/** The unrouted list pages by offset (the ledger's `listUnrouted`); the cursor hides it. */
export function encodeOffset(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

export function decodeOffset(cursor: string | undefined): number {
  if (!cursor) return 0;
  const match = /^o:(\d{1,12})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match)
    throw new UsageError(`[switchyard] [dashboard] invalid cursor ${JSON.stringify(cursor)}`, { cursor });
  return Number(match[1]);
}

const STATES: ReadonlySet<string> = new Set(DELIVERY_STATES);

/** `?state=done,failed` → states (400 on an unknown one); undefined when absent or empty. */
export function parseStates(value: string | undefined): DeliveryState[] | undefined {
  if (!value) return undefined;
  const states = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of states) {
    if (!STATES.has(s))
      throw new UsageError(`[switchyard] [dashboard] unknown state ${JSON.stringify(s)}`, { state: s });
  }
  return states.length ? (states as DeliveryState[]) : undefined;
}

/** `?limit=` within 1..max (default `fallback`). */
export function parseLimit(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(
      `[switchyard] [dashboard] limit must be a positive integer, got ${JSON.stringify(value)}`,
      { limit: value },
    );
  return Math.min(n, max);
}
