/**
 * The ObjectStore conformance suite (the contract in src/storage/types.ts).
 * Every backend's test file is one call to `testObjectStore`; the in-memory
 * store passes it first. What a backend cannot do is a capability flag, and
 * each case it gates shows up as skipped with its name and the reason.
 */
import { afterEach, beforeEach, describe, it } from 'vitest';
import type { ObjectStore, StoreCapabilities } from '../../src/storage/types.js';
import { basicCases } from './store-cases-basic.js';
import { copyCases } from './store-cases-copy.js';
import { safetyCases } from './store-cases-safety.js';

export interface StoreFixture {
  store: ObjectStore;
  /** An empty bucket the case may fill. */
  bucket: string;
  cleanup(): Promise<void>;
  /** A second store of the same backend (another project) for cross-project copies. */
  peer?: ObjectStore;
  /** The peer's bucket (default: `bucket`). */
  peerBucket?: string;
}

export interface ObjectStoreSuiteOptions {
  /** Case name → reason: the case is declared skipped, with the reason in its title. */
  skip?: Record<string, string>;
  /** Size of the large streamed object (default 64 MiB). */
  largeObjectBytes?: number;
  /** Largest allowed memory growth while it streams (default 3/4 of its size). */
  maxMemoryGrowthBytes?: number;
}

export interface Gate {
  when: boolean;
  reason: string;
}

export interface SuiteContext {
  /** The fixture of the running case (fresh for each case). */
  fx(): StoreFixture;
  caps: StoreCapabilities;
  hasPeer: boolean;
  hasRename: boolean;
  options: ObjectStoreSuiteOptions;
  /** Declares a case; skipped (named, with its reason) when listed in options.skip or its gate is closed. */
  test(name: string, body: () => Promise<void>, gate?: Gate): void;
}

export function testObjectStore(
  name: string,
  factory: () => Promise<StoreFixture>,
  options: ObjectStoreSuiteOptions = {},
): void {
  describe(`ObjectStore conformance: ${name}`, async () => {
    const probe = await factory();
    const caps = { ...probe.store.capabilities };
    const hasPeer = probe.peer !== undefined;
    const hasRename = caps.rename && typeof probe.store.rename === 'function';
    await probe.cleanup();

    let current: StoreFixture | undefined;
    beforeEach(async () => {
      current = await factory();
    });
    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    const ctx: SuiteContext = {
      fx: () => {
        if (!current) throw new Error('no fixture: the factory failed');
        return current;
      },
      caps,
      hasPeer,
      hasRename,
      options,
      test(caseName, body, gate) {
        const declared = options.skip?.[caseName];
        if (declared !== undefined) it.skip(`${caseName} [skipped: ${declared}]`, body);
        else if (gate && !gate.when) it.skip(`${caseName} [skipped: ${gate.reason}]`, body);
        else it(caseName, body);
      },
    };

    basicCases(ctx);
    copyCases(ctx);
    safetyCases(ctx);
  });
}
