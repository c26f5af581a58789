import { expect } from 'vitest';
import { ledgerRows, type FaultBed } from './bed.js';

/** Names the `keep` route of FAN_OUT_ROUTES also copies. */
export const isCopied = (name: string): boolean => name.endsWith('0.dat');

/**
 * The end state every fault case must reach, checked three independent ways:
 * - the ledger: one `done` row per (file, route) and nothing else — no row
 *   failed, dead, gone or left half-done, no unrouted file — and attempts
 *   within the retry budget;
 * - the destinations: exactly the expected names (no `.version` duplicates of
 *   a copy done twice, no temp files) and each file's sha256 equal to its
 *   source's before routing;
 * - the sources: all deleted; and the queue: empty, no dead letters.
 */
export async function expectAllDelivered(
  bed: FaultBed,
  names: string[],
  options: { maxAttempts?: number } = {},
): Promise<void> {
  const copied = names.filter(isCopied);
  const { deliveries, unrouted } = await ledgerRows(bed.ledgerUrl);
  const states: Record<string, number> = {};
  for (const d of deliveries) states[d.state] = (states[d.state] ?? 0) + 1;
  expect(states).toEqual({ done: names.length + copied.length });
  expect(unrouted).toBe(0);
  for (const [route, expected] of [
    ['main', names],
    ['keep', copied],
  ] as const) {
    const rows = deliveries.filter((d) => d.route_id === route);
    expect(rows).toHaveLength(expected.length);
    expect(new Set(rows.map((r) => r.source_key)).size).toBe(expected.length);
    expect(rows.map((r) => r.dest_key).sort()).toEqual([...expected].sort());
  }
  expect(deliveries.filter((d) => d.route_id !== 'main' && d.route_id !== 'keep')).toEqual([]);
  const budget = options.maxAttempts ?? 5;
  expect(deliveries.filter((d) => d.attempts >= budget)).toEqual([]);

  expect(await bed.tempFiles()).toEqual([]);
  for (const [location, expected] of [
    ['warehouse/landed', names],
    ['archive/copies', copied],
  ] as const) {
    const contents = await bed.contents(location);
    expect([...contents.keys()].sort()).toEqual([...expected].sort());
    const wrong = expected.filter((n) => contents.get(n) !== bed.manifest.get(n));
    expect(wrong).toEqual([]);
  }
  expect(await bed.count('land/in')).toBe(0);
  expect(await bed.queueStats()).toMatchObject({ depth: 0, inFlight: 0, dead: 0 });
}
