/**
 * switchyard as a library: load a referential, open stores, a ledger and a
 * queue by URL, create a router, route an event, explain a name. The CLI and
 * the cloud entry points are built from these same pieces.
 */
export { loadConfig, type CommonFlags, type RuntimeConfig } from './config/load.js';
export { openContext, type Context, type ContextOptions } from './runtime/context.js';
export {
  compileReferential,
  explainName,
  loadReferential,
  loadReferentialText,
  validateRows,
  type ExplainedRoute,
  type Referential,
  type Route,
} from './referential/index.js';
export { StoreRegistry, type StoreRegistryOptions } from './storage/registry.js';
export type { Location, ObjectInfo, ObjectStore } from './storage/types.js';
export { openLedger, type OpenLedgerOptions } from './ledger/url.js';
export type { DeliveryRecord, DeliveryState, Ledger, LedgerReports, LedgerStore } from './ledger/types.js';
export { openQueue, type OpenQueueOptions } from './queue/url.js';
export type { Queue } from './queue/types.js';
export {
  Router,
  type DeliveryResult,
  type EventOutcome,
  type RouteResult,
  type RouterOptions,
} from './router/router.js';
export { explain, type ExplainResult } from './router/explain.js';
export type { ObjectEvent } from './model/event.js';
export { createLogger, silentLogger, type Logger } from './util/log.js';
export {
  ConfigInvalidError,
  EventInvalidError,
  ReferentialInvalidError,
  SwitchyardError,
  errorCode,
  isTransient,
  type ErrorCode,
  type Problem,
} from './model/errors.js';
