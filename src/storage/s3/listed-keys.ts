/** One listing of a folder of a bucket, from just before a key on. */
export interface ListedWindow {
  /** The folder listed (`a/b/`, or '' for the bucket root). */
  prefix: string;
  /** Keys strictly after this one (UTF-8 byte order, as S3 sorts) are covered… */
  after: string;
  /** …up to and including this one; undefined when the listing reached the folder's end. */
  until?: string;
  keys: Set<string>;
  /** When the listing was asked for (ms, the clock given to ListedKeys). */
  at: number;
  /** Looks it answered: the next listing of the folder asks for twice as many keys. */
  hits: number;
}

/** Keys a first listing of a folder asks for: about what a look at one key costs. */
export const FIRST_PAGE_KEYS = 16;
export const MAX_PAGE_KEYS = 1000;

/** Lists one page of `prefix` after `startAfter`: the keys, and the last key when more follow. */
export type ListAfter = (
  bucket: string,
  prefix: string,
  startAfter: string,
  maxKeys: number,
) => Promise<{ keys: string[]; truncated: boolean }>;

/** What a recent listing says of a key: it was not there, it was (look at it), or nothing is known. */
export type ListedAnswer = 'absent' | 'listed';

/**
 * Answers "is there an object at this key?" for a store whose server does
 * not enforce a create-only copy (`If-None-Match: *`), from one listing of
 * the key's folder per page of keys instead of a look (HEAD) per key. A
 * listing starts just before the key asked about and covers the keys up to
 * its last one (a scan asks in key order, so one page answers for the next
 * keys). A folder's first listing asks for 16 keys, about the cost of a
 * look, and each next one for twice the looks the last answered, up to
 * 1,000: a scan soon lists a thousand keys at a time, a trickle of events
 * into a large folder never pays for a thousand keys to answer one look.
 * A listing answers for `ttlMs` after it was asked for, and never
 * for a key this process has written since (`written`). An object another
 * writer creates in that window may be replaced where a look per key would
 * have seen it — the look itself leaves such a window on these servers, only
 * a shorter one — so the window is a setting (`destinationListingMs`, 0: a
 * look per key).
 */
export class ListedKeys {
  private readonly windows = new Map<string, ListedWindow[]>();
  private readonly pending = new Map<string, Promise<void>>();
  /** Per folder, the looks its last listing answered (kept past the listing's window). */
  private readonly lastHits = new Map<string, number>();

  constructor(
    private readonly list: ListAfter,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** What a listing asked for at most `ttlMs` ago says of `key`; lists its folder when none covers it. */
  async lookup(bucket: string, key: string): Promise<ListedAnswer> {
    const prefix = folderOf(key);
    const slot = `${bucket}\u0000${prefix}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const known = this.answer(slot, key);
      if (known) return known;
      const inFlight = this.pending.get(slot);
      if (inFlight) {
        await inFlight;
        continue;
      }
      const started = this.fetch(slot, bucket, prefix, key);
      this.pending.set(slot, started);
      try {
        await started;
      } finally {
        if (this.pending.get(slot) === started) this.pending.delete(slot);
      }
    }
    return this.answer(slot, key) ?? 'listed';
  }

  /** This process wrote `key`: no listing made before says it is absent. */
  written(bucket: string, key: string): void {
    for (const window of this.windows.get(`${bucket}\u0000${folderOf(key)}`) ?? []) window.keys.add(key);
  }

  private answer(slot: string, key: string): ListedAnswer | undefined {
    const windows = this.fresh(slot);
    const window = windows.find((w) => covers(w, key));
    if (!window) return undefined;
    window.hits++;
    this.lastHits.set(slot, window.hits);
    return window.keys.has(key) ? 'listed' : 'absent';
  }

  /** The windows of `slot` still answering, the stale ones dropped. */
  private fresh(slot: string): ListedWindow[] {
    const all = this.windows.get(slot) ?? [];
    const oldest = this.now() - this.ttlMs;
    const fresh = all.filter((w) => w.at > oldest);
    if (fresh.length !== all.length) this.windows.set(slot, fresh);
    return fresh;
  }

  private async fetch(slot: string, bucket: string, prefix: string, key: string): Promise<void> {
    const at = this.now();
    const after = justBefore(key);
    const hits = this.lastHits.get(slot);
    const maxKeys =
      hits === undefined ? FIRST_PAGE_KEYS : Math.min(MAX_PAGE_KEYS, Math.max(FIRST_PAGE_KEYS, 2 * hits));
    const page = await this.list(bucket, prefix, after, maxKeys);
    const window: ListedWindow = { prefix, after, keys: new Set(page.keys), at, hits: 0 };
    const last = page.keys[page.keys.length - 1];
    if (page.truncated) {
      // a truncated page says nothing beyond its last key (nor anything at all if it holds none)
      if (last === undefined) return;
      window.until = last;
    }
    this.windows.set(slot, [...this.fresh(slot), window]);
  }
}

/** The folder a key lies in, `/` kept: what a listing of it is scoped to. */
export function folderOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** Where a listing covering `key` starts (keys after it): `key` less its last character, which sorts just before it. */
export function justBefore(key: string): string {
  const chars = [...key];
  chars.pop();
  return chars.join('');
}

/** S3's order: UTF-8 bytes, not UTF-16 code units. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function covers(window: ListedWindow, key: string): boolean {
  return (
    key.startsWith(window.prefix) &&
    compareKeys(key, window.after) > 0 &&
    (window.until === undefined || compareKeys(key, window.until) <= 0)
  );
}
