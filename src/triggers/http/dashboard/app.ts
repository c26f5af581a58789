import path from 'node:path';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorCode, errorMessage, PermanentError, SwitchyardError } from '../../../model/errors.js';
import type { EventSink } from '../../../intake/sink.js';
import type { Ledger, LedgerReports, RouteStat } from '../../../ledger/types.js';
import { silentLogger, type Logger } from '../../../util/log.js';
import type { Location } from '../../../model/keys.js';
import type { Referential, Route } from '../../../referential/types.js';
import { resolveLocation } from '../../../referential/uri-location.js';
import type { StoreRegistry } from '../../../storage/registry.js';
import { createAuthenticator, requireAuth, requireReader, type Authenticator } from '../auth.js';
import { jsonError } from '../errors.js';
import { retryDelivery, retryUnrouted } from './actions.js';
import type {
  DeliveriesPage,
  DeliveryView,
  ExplainAnswer,
  FlowsAnswer,
  RetryAnswer,
  RoutesAnswer,
  RouteView,
  SummaryAnswer,
  UnroutedPage,
} from './api-types.js';
import { assetNamed, PAGE_HTML, SECURITY_HEADERS, type Asset } from './assets.js';
import { explainInput } from './explain-name.js';
import {
  decodeOffset,
  deliveryView,
  encodeOffset,
  parseLimit,
  parseStates,
  parseWindow,
  unroutedView,
} from './views.js';

export interface DashboardOptions {
  /** What every `GET` reads. */
  reports: LedgerReports;
  /** What the retry action writes. */
  ledger: Ledger;
  /** Read on every request, like the router's. */
  referential: () => Referential;
  /** For the explain box (it stats the object when it exists). */
  stores: StoreRegistry;
  /** Where retried sources go: the router in event mode, the queue in batch mode. */
  sink: EventSink;
  /** Actions (retry) need a valid credential, and so does reading unless `publicReads`. Default: none configured. */
  auth?: Authenticator;
  /** The page and `GET /api/*` without a credential even when one is configured (`serve --public-reads`). */
  publicReads?: boolean;
  logger?: Logger;
  now?: () => number;
  /** Deliveries one search page examines, newest first (default 50,000). */
  searchScanLimit?: number;
}

export const DEFAULT_SEARCH_SCAN = 50_000;
const PAGE = 50;
const MAX_PAGE = 500;

/**
 * The web dashboard and its JSON API, a Hono app mounted at `/` by `serve`.
 * Every `GET /api/...` is a bounded read of the ledger (keyset pages, the
 * rollup, a search scan of at most `searchScanLimit` rows). Once a
 * credential is configured, everything here needs it (`Authorization:
 * Bearer <token>`, or HTTP Basic with the token as the password: a browser's
 * login), reads excepted when `publicReads`; `POST` actions also need a JSON
 * body.
 */
export function createDashboardApp(options: DashboardOptions): Hono {
  const dashboard: Dashboard = {
    ledger: options.ledger,
    reports: options.reports,
    referential: options.referential,
    stores: options.stores,
    sink: options.sink,
    log: options.logger ?? silentLogger(),
    auth: options.auth ?? createAuthenticator(),
    now: options.now ?? Date.now,
    scanLimit: options.searchScanLimit ?? DEFAULT_SEARCH_SCAN,
  };
  const app = new Hono();
  // per path, not '*': this app is mounted at '/' beside /events and /healthz
  const reader = requireReader(dashboard.auth, options.publicReads);
  for (const path of ['/', '/assets/*', '/api/*']) app.use(path, reader);
  serveAssets(app, dashboard.log);
  serveOverviewApi(app, dashboard);
  serveLedgerApi(app, dashboard);
  serveExplainApi(app, dashboard);
  serveActions(app, dashboard);
  return app;
}

/** The dashboard's options with their defaults filled in, shared by its route groups. */
interface Dashboard {
  ledger: Ledger;
  reports: LedgerReports;
  referential: () => Referential;
  stores: StoreRegistry;
  sink: EventSink;
  log: Logger;
  auth: Authenticator;
  now: () => number;
  scanLimit: number;
}

/** The page and its browser assets (script, styles), with an etag each. */
function serveAssets(app: Hono, log: Logger): void {
  app.get('/', (c) => c.html(PAGE_HTML, 200, SECURITY_HEADERS));
  app.get('/assets/:name', (c) => {
    let asset: Asset | undefined;
    try {
      asset = assetNamed(c.req.param('name'));
    } catch (error) {
      log.error({ err: error }, 'dashboard asset unreadable');
      return jsonError(c, 500, 'E_INTERNAL', '[switchyard] [dashboard] this build lacks its browser script');
    }
    if (!asset)
      return jsonError(
        c,
        404,
        'E_ROUTE_NOT_FOUND',
        `[switchyard] [dashboard] no asset ${c.req.param('name')}`,
      );
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    return c.body(asset.body, 200, {
      'content-type': asset.type,
      etag: asset.etag,
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    });
  });
}

/** `GET /api/summary`, `/api/routes`, `/api/flows`: the counts and the numbers by route and by flow. */
function serveOverviewApi(app: Hono, d: Dashboard): void {
  const { reports, log, auth, now } = d;
  app.get(
    '/api/summary',
    answer<SummaryAnswer>(log, async (c) => {
      const counts = await reports.counts();
      const waiting = await reports.listWaiting(100_000);
      const verdict = await auth.verify(c.req.header('authorization'));
      return {
        now: now(),
        tokenRequired: auth.configured,
        authenticated: verdict.ok,
        routes: d.referential().routes.length,
        counts,
        waiting: {
          groups: waiting.length,
          ...(waiting[0] ? { oldestAt: waiting[0].firstSeenAt } : {}),
        },
      };
    }),
  );

  app.get(
    '/api/routes',
    answer<RoutesAnswer>(log, async (c) => {
      const window = parseWindow(c.req.query('window'), now());
      const stats = new Map((await reports.routeStats(window.sinceMs)).map((s) => [s.routeId, s]));
      const routes = d.referential().routes.map((route) => routeView(route, stats.get(route.id)));
      const known = new Set(routes.map((r) => r.id));
      return {
        now: now(),
        window,
        routes,
        unmatched: routes.filter((r) => r.stats.deliveries === 0).map((r) => r.id),
        others: [...stats.values()].filter((s) => !known.has(s.routeId)),
      };
    }),
  );

  app.get(
    '/api/flows',
    answer<FlowsAnswer>(log, async (c) => {
      const window = parseWindow(c.req.query('window'), now());
      return { window, flows: await reports.flows(window.sinceMs) };
    }),
  );
}

/** `GET /api/deliveries` (search, filters), one delivery, `/api/failures`, `/api/unrouted`: pages of the ledger's rows. */
function serveLedgerApi(app: Hono, d: Dashboard): void {
  const { reports, log } = d;
  app.get(
    '/api/deliveries',
    answer<DeliveriesPage>(log, (c) => deliveriesPage(d, c)),
  );

  app.get(
    '/api/deliveries/:id',
    answer<DeliveryView>(log, async (c) => {
      const record = await reports.get(c.req.param('id') ?? '');
      if (!record)
        throw new PermanentError(
          'E_NOT_FOUND',
          `[switchyard] [dashboard] no delivery ${JSON.stringify(c.req.param('id'))}`,
        );
      return deliveryView(record);
    }),
  );

  app.get(
    '/api/failures',
    answer<DeliveriesPage>(log, async (c) => {
      const cursor = c.req.query('cursor') || undefined;
      const page = await reports.query({
        states: ['failed', 'dead'],
        limit: parseLimit(c.req.query('limit'), PAGE, MAX_PAGE),
        ...(cursor ? { cursor } : {}),
      });
      return {
        items: page.items.map(deliveryView),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
    }),
  );

  app.get(
    '/api/unrouted',
    answer<UnroutedPage>(log, async (c) => {
      const offset = decodeOffset(c.req.query('cursor') || undefined);
      const limit = parseLimit(c.req.query('limit'), PAGE, MAX_PAGE);
      const rows = await reports.listUnrouted(limit + 1, offset);
      return {
        items: rows.slice(0, limit).map(unroutedView),
        ...(rows.length > limit ? { nextCursor: encodeOffset(offset + limit) } : {}),
      };
    }),
  );
}

/** One page of `GET /api/deliveries`: by state and route, or a search (which scans at most `scanLimit` rows). */
async function deliveriesPage(d: Dashboard, c: Context): Promise<DeliveriesPage> {
  const { scanLimit } = d;
  const search = c.req.query('q')?.trim() || undefined;
  const states = parseStates(c.req.query('state'));
  const route = c.req.query('route') || undefined;
  const cursor = c.req.query('cursor') || undefined;
  const page = await d.reports.query({
    limit: parseLimit(c.req.query('limit'), PAGE, MAX_PAGE),
    ...(search ? { search, scanLimit } : {}),
    ...(states ? { states } : {}),
    ...(route ? { routeId: route } : {}),
    ...(cursor ? { cursor } : {}),
  });
  return {
    items: page.items.map(deliveryView),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    ...(search ? { scanLimit } : {}),
  };
}

/** `GET /api/explain?file=...`: what the referential would do with a file (the explain box). */
function serveExplainApi(app: Hono, d: Dashboard): void {
  app.get(
    '/api/explain',
    answer<ExplainAnswer>(d.log, (c) =>
      explainInput(d.referential(), d.stores, c.req.query('file') ?? '', new Date(d.now())),
    ),
  );
}

/** `POST` retry actions: they need a credential and a JSON body. */
function serveActions(app: Hono, d: Dashboard): void {
  const { ledger, sink, log } = d;
  const guard = requireAuth(d.auth, 'Basic');
  app.post(
    '/api/deliveries/:id/retry',
    guard,
    answer<RetryAnswer>(log, async (c) => {
      requireJson(c);
      return retryDelivery(ledger, sink, c.req.param('id') ?? '', log);
    }),
  );
  app.post(
    '/api/unrouted/retry',
    guard,
    answer<RetryAnswer>(log, async (c) => {
      requireJson(c);
      const body = (await c.req.json().catch(() => ({}))) as { source?: unknown };
      const resolve = (text: string): Location => resolveLocation(text, d.referential(), d.stores.projects);
      return retryUnrouted(sink, body.source, log, resolve);
    }),
  );
}

/** A route of the referential with its numbers in the window (zeros when nothing matched). */
function routeView(route: Route, stat: RouteStat | undefined): RouteView {
  return {
    id: route.id,
    file: path.basename(route.file),
    line: route.line,
    enabled: route.enabled,
    source: `${route.sourceProject}/${route.sourceBucket}`,
    mask: route.mask,
    destination: `${route.destinationProject}/${route.destinationBucket}/${route.destinationDirectory}`,
    action: route.action,
    onConflict: route.onConflict,
    stats: {
      deliveries: stat?.deliveries ?? 0,
      done: stat?.done ?? 0,
      failed: stat?.failed ?? 0,
      dead: stat?.dead ?? 0,
      bytes: stat?.bytes ?? 0,
      ...(stat?.lastAt !== undefined ? { lastAt: stat.lastAt } : {}),
    },
  };
}

/**
 * Actions want `Content-Type: application/json`: a cross-site form or
 * `no-cors` fetch cannot send it, so a page elsewhere cannot trigger a retry
 * on a loopback server that has no token.
 */
function requireJson(c: Context): void {
  if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
    throw new PermanentError(
      'E_USAGE',
      '[switchyard] [dashboard] actions need Content-Type: application/json',
    );
  }
}

const STATUS: Record<string, ContentfulStatusCode> = {
  E_USAGE: 400,
  E_KEY_UNSAFE: 400,
  E_NOT_FOUND: 404,
  E_CONFLICT: 409,
};

/** JSON answer of a handler; its errors become `{"error": {code, message}}` with a fitting status. */
function answer<T>(log: Logger, handler: (c: Context) => Promise<T>) {
  return async (c: Context): Promise<Response> => {
    try {
      const body: unknown = await handler(c);
      return c.json(body, 200, { 'cache-control': 'no-store' });
    } catch (error) {
      const code = errorCode(error);
      const known = error instanceof SwitchyardError;
      const status = STATUS[code] ?? (known ? (error.transient ? 503 : 400) : 500);
      if (status >= 500) log.error({ err: error, path: c.req.path }, 'dashboard request failed');
      return jsonError(
        c,
        status,
        code,
        known ? errorMessage(error) : '[switchyard] [dashboard] internal error',
      );
    }
  };
}
