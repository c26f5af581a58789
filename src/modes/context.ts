import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { RuntimeConfig } from '../config/load.js';
import type { Ledger } from '../ledger/types.js';
import { openLedger } from '../ledger/url.js';
import type { Logger } from '../log.js';
import { loadReferential } from '../referential/index.js';
import type { Referential } from '../referential/types.js';
import type { Problem } from '../errors.js';
import { Router, type RouterHooks } from '../router/router.js';
import type { RetryPolicy } from '../router/retry.js';
import { StoreRegistry } from '../storage/registry.js';

/** Everything a mode needs, opened from one RuntimeConfig and closed together. */
export interface Context {
  config: RuntimeConfig;
  logger: Logger;
  stores: StoreRegistry;
  ledger: Ledger;
  router: Router;
  referential(): Referential;
  /** Warnings found when the referential was loaded. */
  warnings: Problem[];
  owner: string;
  close(): Promise<void>;
}

export interface ContextOptions {
  hooks?: RouterHooks;
  retry?: RetryPolicy;
  leaseMs?: number;
  /** Provide an already loaded referential (tests, `demo`). */
  referential?: Referential;
}

/** `host:pid:random`: who holds a claim; lets a restarted process recognise its dead predecessor's claims. */
export function processOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export async function openContext(config: RuntimeConfig, logger: Logger, options: ContextOptions = {}): Promise<Context> {
  let warnings: Problem[] = [];
  let referential = options.referential;
  if (!referential) {
    const loaded = await loadReferential(config.routes);
    referential = loaded.referential;
    warnings = loaded.problems.filter((p) => p.severity === 'warning');
  }
  const current = referential;
  const stores = new StoreRegistry({ dataRoot: config.dataRoot, projects: config.projects, env: config.env });
  const ledger = await openLedger(config.ledgerUrl, { stateDir: config.stateDir });
  const owner = processOwner();
  const router = new Router({
    referential: () => current,
    stores,
    ledger,
    owner,
    logger,
    dryRun: config.dryRun,
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
  });
  return {
    config,
    logger,
    stores,
    ledger,
    router,
    referential: () => current,
    warnings,
    owner,
    async close() {
      await stores.close();
      await ledger.close();
    },
  };
}
