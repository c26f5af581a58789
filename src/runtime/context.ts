import type { RuntimeConfig } from '../config/load.js';
import { referentialAccess, referentialChecks } from '../referential/config-checks.js';
import type { Ledger, LedgerReports } from '../ledger/types.js';
import { batchingStore } from '../ledger/batching.js';
import { openLedger } from '../ledger/url.js';
import type { Logger } from '../util/log.js';
import { openReferentialSource, ReferentialSource } from '../referential/source.js';
import type { Referential } from '../referential/types.js';
import type { Problem } from '../model/errors.js';
import { deliveryLogHooks } from '../observability/delivery-log.js';
import { withHooks } from '../observability/hooks.js';
import { Router, type RouterHooks, type RouterOptions } from '../router/router.js';
import type { RetryPolicy } from '../router/retry.js';
import { StoreRegistry } from '../storage/registry.js';
import { Notifier } from '../signals/notifier.js';
import { groupSignalHooks } from './group-signals.js';
import { os } from '../util/builtins.js';

/** Everything a mode needs, opened from one RuntimeConfig and closed together. */
export interface Context {
  config: RuntimeConfig;
  logger: Logger;
  stores: StoreRegistry;
  /** The ledger's write path (group-committed), what the router records deliveries in. */
  ledger: Ledger;
  /** The same ledger's reports (status, dashboard, metrics, recovery). */
  reports: LedgerReports;
  router: Router;
  /** The referential now in effect (re-read when its source changes, see `referentialSource`). */
  referential(): Referential;
  referentialSource: ReferentialSource;
  /** Warnings found when the referential was loaded. */
  warnings: Problem[];
  owner: string;
  /** The `notify` sender of this process (the caller's, or one opened at first use and closed with the context). */
  notifier(): Notifier;
  close(): Promise<void>;
}

export interface ContextOptions {
  /** Called as the router routes, after the log line of each delivery it carried (observability/delivery-log.ts). */
  hooks?: RouterHooks;
  retry?: RetryPolicy;
  leaseMs?: number;
  /** Sends the `notify` messages of drains and complete groups (the caller's, kept open); by default one is opened when first needed and closed with the context. */
  notifier?: Notifier;
  /** Provide an already loaded referential (tests, `demo`). */
  referential?: Referential;
}

/** `host:pid:random`: who holds a claim; lets a restarted process recognise its dead predecessor's claims. */
export function processOwner(): string {
  // six hex digits told apart from a restarted process's: not a secret, so no node:crypto at every start
  const random = Math.floor(Math.random() * 0x1000000)
    .toString(16)
    .padStart(6, '0');
  return `${os().hostname()}:${process.pid}:${random}`;
}

export async function openContext(
  config: RuntimeConfig,
  logger: Logger,
  options: ContextOptions = {},
): Promise<Context> {
  const stores = new StoreRegistry(config);
  const source = options.referential
    ? ReferentialSource.fixed(options.referential)
    : await openReferentialSource({
        location: config.routes,
        ...referentialAccess(config, (project) => stores.storeFor(project)),
        ...(config.routesPollMs !== undefined ? { pollMs: config.routesPollMs } : {}),
        logger,
        ...referentialChecks(config),
      }).catch(async (error: unknown) => {
        await stores.close();
        throw error;
      });
  const warnings: Problem[] = source.warnings;
  const current = () => source.current();
  const store = batchingStore(await openLedger(config.ledgerUrl, { stateDir: config.stateDir }));
  const { ledger, reports } = store;
  const owner = processOwner();
  let notifier: Notifier | undefined;
  const notifierNow = (): Notifier => options.notifier ?? (notifier ??= new Notifier({ env: config.env }));
  const router = openRouter(
    config,
    logger,
    options,
    { referential: current, stores, ledger, owner },
    notifierNow,
  );
  source.start();
  return {
    config,
    logger,
    stores,
    ledger,
    reports,
    router,
    referential: current,
    referentialSource: source,
    warnings,
    owner,
    notifier: notifierNow,
    async close() {
      await source.stop();
      await notifier?.close();
      await stores.close();
      await store.close();
    },
  };
}

/** The router of a context, its hooks: the delivery log, the caller's, and (except in a dry run) the groups' manifests and notify. */
function openRouter(
  config: RuntimeConfig,
  logger: Logger,
  options: ContextOptions,
  parts: Pick<RouterOptions, 'referential' | 'stores' | 'ledger' | 'owner'>,
  notifier: () => Notifier,
): Router {
  const signals = config.dryRun
    ? undefined
    : groupSignalHooks({ referential: parts.referential, stores: parts.stores, logger, notifier });
  return new Router({
    ...parts,
    logger,
    dryRun: config.dryRun,
    ...(config.csv ? { csv: config.csv } : {}),
    ...(config.parquet ? { parquet: config.parquet } : {}),
    hooks: withHooks(deliveryLogHooks(logger), options.hooks, signals),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
  });
}
