import type { Route } from '../../src/referential/types.js';

/** A valid route for matcher tests; only the mask (and source) matter. */
export function route(mask: string, overrides: Partial<Route> = {}, index = 1): Route {
  return {
    id: `row-${index}`,
    file: 'routes.csv',
    line: index + 1,
    sourceProject: 'p',
    sourceBucket: 'b',
    mask,
    destinationProject: 'dest',
    destinationBucket: 'out',
    destinationDirectory: '',
    action: 'move',
    onConflict: 'fail',
    enabled: true,
    allowCycle: false,
    ...overrides,
  };
}

export function routes(masks: string[], overrides: Partial<Route> = {}): Route[] {
  return masks.map((m, i) => route(m, overrides, i + 1));
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)]!;
}
