import path from 'node:path';
import type { Hono } from 'hono';
import type { RuntimeConfig } from '../config/load.js';
import { UsageError } from '../model/errors.js';
import { sourceProjectsOf } from '../referential/row-sets.js';
import { startWatcher, type Watcher, type WatcherOptions } from '../triggers/fs-watch/watcher.js';
import { routerSink, type EventSink } from '../intake/sink.js';
import {
  createAuthenticator,
  GOOGLE_JWKS_URL,
  loadJwks,
  type Authenticator,
  type OidcOptions,
} from '../triggers/http/auth.js';
import { createDashboardApp } from '../triggers/http/dashboard/app.js';
import { createReceiverApp } from '../triggers/http/receiver.js';
import { isLoopback, startServer, type ServerHandle } from '../triggers/http/server.js';
import type { Logger } from '../util/log.js';
import { Metrics } from '../observability/metrics.js';
import type { Queue } from '../queue/types.js';
import type { RouterHooks } from '../router/router.js';
import { openContext, type Context, type ContextOptions } from '../runtime/context.js';

export interface EventModeOptions {
  port: number;
  host: string;
  /** Largest accepted body in bytes (default: server.bodyLimitBytes, else 1 MiB). */
  bodyLimit?: number;
  /** Watch local source buckets (default true); false: HTTP receiver only. */
  watch?: boolean;
  watcher?: WatcherOptions;
  /** Default `routerSink(ctx.router)`; batch mode passes `queueSink(queue)`. */
  sink?: EventSink;
  metrics?: Metrics;
  /** Default: from the config (bearer token, `server.oidc`). */
  auth?: Authenticator;
  /** Adds routes to the receiver app before it listens. */
  mount?(app: Hono): void;
  /** Serve the web dashboard and its `/api/...` at `/` (default true). */
  dashboard?: boolean;
  /**
   * The dashboard, `GET /api/*` and `/metrics` open to anyone who reaches the
   * port even when a credential is configured (default false: they need it).
   */
  publicReads?: boolean;
  /** Longest wait for requests in flight at shutdown (default 30 s). */
  graceMs?: number;
  /** Runs at shutdown after the server and watcher stopped, before the context closes (e.g. stop a schedule). */
  onStop?(): Promise<void>;
}

export interface EventMode {
  url: string;
  app: Hono;
  server: ServerHandle;
  watcher?: Watcher;
  /**
   * Graceful shutdown: stops accepting requests, lets those in flight finish
   * their deliveries, stops the watcher, runs `onStop`, closes the context.
   */
  stop(): Promise<void>;
}

/**
 * Event mode (`switchyard serve`): the HTTP receiver plus, unless disabled,
 * the watcher on local source buckets, both handing events to one sink.
 * Without a credential the server refuses any address but a loopback one.
 */
export async function startEventMode(ctx: Context, options: EventModeOptions): Promise<EventMode> {
  const log = ctx.logger;
  const auth = options.auth ?? (await authFromConfig(ctx.config));
  refuseOpenWithoutCredential(auth, options.host);
  const sink = options.sink ?? routerSink(ctx.router);
  const app = createApp(ctx, options, sink, auth);
  const watcher = options.watch === false ? undefined : await startWatcher(ctx, sink, options.watcher ?? {});
  let server: ServerHandle;
  try {
    server = await startServer(app, { port: options.port, host: options.host, logger: log });
  } catch (error) {
    await watcher?.stop();
    throw error;
  }
  log.info(
    {
      url: server.url,
      credential: auth.description,
      reads: auth.configured && !options.publicReads ? 'need the credential' : 'open',
      watching: watcher?.buckets.length ?? 0,
    },
    'switchyard serving',
  );
  if (!auth.configured)
    log.warn({ host: options.host }, 'no credential configured: listening on a loopback address only');

  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    app,
    server,
    ...(watcher ? { watcher } : {}),
    stop() {
      stopping ??= stopEventMode(ctx, options, server, watcher);
      return stopping;
    },
  };
}

function refuseOpenWithoutCredential(auth: Authenticator, host: string): void {
  if (!auth.configured && !isLoopback(host)) {
    throw new UsageError(
      `[switchyard] [serve] refusing to listen on ${host} without a credential: set SWITCHYARD_TOKEN ` +
        '(or the variable named by server.tokenEnv) or configure server.oidc, or listen on 127.0.0.1',
      { host },
    );
  }
}

/** The receiver app, with the dashboard at `/` unless disabled, and the routes `mount` adds. */
function createApp(ctx: Context, options: EventModeOptions, sink: EventSink, auth: Authenticator): Hono {
  const app = createReceiverApp({
    sink,
    router: ctx.router,
    logger: ctx.logger,
    auth,
    bodyLimit: options.bodyLimit ?? ctx.config.server.bodyLimitBytes,
    projects: () => sourceProjectsOf(ctx.referential()),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    publicReads: options.publicReads === true,
  });
  if (options.dashboard !== false) {
    app.route(
      '/',
      createDashboardApp({
        ledger: ctx.ledger,
        reports: ctx.reports,
        referential: ctx.referential,
        stores: ctx.stores,
        sink,
        auth,
        publicReads: options.publicReads === true,
        logger: ctx.logger,
      }),
    );
  }
  options.mount?.(app);
  return app;
}

/** Lets requests in flight finish while the watcher stops, runs `onStop`, closes the context. */
async function stopEventMode(
  ctx: Context,
  options: EventModeOptions,
  server: ServerHandle,
  watcher: Watcher | undefined,
): Promise<void> {
  const log = ctx.logger;
  log.info({ inFlight: server.inFlight() }, 'shutting down: finishing requests in flight');
  await Promise.all([server.close(options.graceMs), watcher?.stop()]);
  await options.onStop?.();
  await ctx.close();
  log.info('stopped');
}

/**
 * The credential the config names: `token` (SWITCHYARD_TOKEN or
 * server.tokenEnv) and/or `server.oidc`, whose keys are fetched from
 * `jwksUrl` (Google's by default) or read now from `jwksFile`.
 */
export async function authFromConfig(config: RuntimeConfig): Promise<Authenticator> {
  const oidc = config.server.oidc;
  if (!oidc) return createAuthenticator(config.token ? { token: config.token } : {});
  const base = config.configFile ? path.dirname(config.configFile) : config.cwd;
  const keys = await oidcKeySource(oidc, base);
  return createAuthenticator({
    ...(config.token ? { token: config.token } : {}),
    oidc: {
      audience: oidc.audience,
      issuer: oidc.issuer,
      ...keys,
      ...(oidc.serviceAccountEmail ? { serviceAccountEmail: oidc.serviceAccountEmail } : {}),
    },
  });
}

/**
 * Where `server.oidc`'s keys come from: the file `jwksFile` (relative to
 * switchyard.yaml; read now, and again for a key it lacks), else the URL
 * `jwksUrl`, else Google's.
 */
export async function oidcKeySource(
  oidc: { jwksUrl?: string | undefined; jwksFile?: string | undefined },
  base: string,
): Promise<Pick<OidcOptions, 'jwks' | 'reload' | 'jwksUrl'>> {
  if (!oidc.jwksFile) return { jwksUrl: oidc.jwksUrl ?? GOOGLE_JWKS_URL };
  const file = path.resolve(base, oidc.jwksFile);
  return { jwks: await loadJwks(file), reload: () => loadJwks(file) };
}

/**
 * Opens a context whose router feeds a Metrics instance that also reads the
 * context's ledger reports (and the queue, when given) at scrape time.
 */
export async function openMeteredContext(
  config: RuntimeConfig,
  logger: Logger,
  options: ContextOptions & { queue?: Queue } = {},
): Promise<{ ctx: Context; metrics: Metrics }> {
  let forward: RouterHooks = {};
  const hooks: RouterHooks = {
    delivery: (d, ms) => forward.delivery?.(d, ms),
    event: (r) => forward.event?.(r),
  };
  const { queue, ...contextOptions } = options;
  const ctx = await openContext(config, logger, { ...contextOptions, hooks });
  const metrics = new Metrics({
    reports: ctx.reports,
    referential: ctx.referentialSource,
    ...(queue ? { queue } : {}),
  });
  forward = metrics.hooks();
  return { ctx, metrics };
}
