/**
 * The dashboard's JSON API, as the server answers it and the browser script
 * (./client/) reads it. The server's handlers are typed by these shapes and
 * the client imports them, so the two cannot drift apart unseen.
 *
 * Self-contained on purpose (no imports): the client is type-checked against
 * the DOM without Node's types, and everything this file imports would be
 * checked with it.
 */

/** A delivery's state, as `src/ledger/types.ts` names them (the server assigns its own to this). */
export type DeliveryStateName =
  'planned' | 'written' | 'verified' | 'done' | 'failed' | 'dead' | 'gone' | 'superseded';

/** Time windows the dashboard offers; `all` has no lower bound. */
export type WindowName = '1h' | '6h' | '24h' | '7d' | '30d' | 'all';

export interface WindowView {
  name: WindowName;
  /** epoch ms; absent for `all`. */
  sinceMs?: number;
}

export interface ErrorView {
  code: string;
  message: string;
}

/** `GET /api/summary`. */
export interface SummaryAnswer {
  now: number;
  tokenRequired: boolean;
  authenticated: boolean;
  routes: number;
  counts: {
    byState: Record<DeliveryStateName, number>;
    unrouted: number;
    oldestUnroutedAt?: number;
  };
  /** Groups (complete_when) waiting for their marker, and when the oldest was first seen. */
  waiting: { groups: number; oldestAt?: number };
}

/** A route's numbers in the window; `bytes` sums the done deliveries. */
export interface RouteStatsView {
  deliveries: number;
  done: number;
  failed: number;
  dead: number;
  bytes: number;
  lastAt?: number;
}

/** A row of the referential with its numbers (zeros when nothing matched). */
export interface RouteView {
  id: string;
  /** Base name of the referential file. */
  file: string;
  line: number;
  enabled: boolean;
  /** `PROJECT/BUCKET`. */
  source: string;
  mask: string;
  /** `PROJECT/BUCKET/DIRECTORY`. */
  destination: string;
  action: string;
  onConflict: string;
  stats: RouteStatsView;
}

/** Numbers of a route id the ledger knows and the current referential does not. */
export interface OtherRouteView extends RouteStatsView {
  routeId: string;
}

/** `GET /api/routes?window=`. */
export interface RoutesAnswer {
  now: number;
  window: WindowView;
  routes: RouteView[];
  /** Ids of the rows that matched nothing in the window. */
  unmatched: string[];
  others: OtherRouteView[];
}

/** Done deliveries from one source bucket to one destination bucket. */
export interface FlowView {
  sourceProject: string;
  sourceBucket: string;
  destinationProject: string;
  destinationBucket: string;
  files: number;
  bytes: number;
}

/** `GET /api/flows?window=`. */
export interface FlowsAnswer {
  window: WindowView;
  flows: FlowView[];
}

/** A delivery as the page shows it: locations as text, its timeline, its reason when it failed. */
export interface DeliveryView {
  id: string;
  name: string;
  source: string;
  generation: string;
  route: string;
  destination: string;
  action: string;
  size: number;
  state: DeliveryStateName;
  attempts: number;
  crc32c?: string;
  error?: ErrorView;
  updatedAt: number;
  timeline: {
    received: number;
    written?: number;
    verified?: number;
    done?: number;
    sourceDeleted?: number;
    nextAttempt?: number;
  };
  /** A dead delivery whose cause retrying can fix (not an unsafe key). */
  retryable: boolean;
}

/** `GET /api/deliveries` and `GET /api/failures`: a keyset page. */
export interface DeliveriesPage {
  items: DeliveryView[];
  nextCursor?: string;
  /** Deliveries one search page examines (set when searching). */
  scanLimit?: number;
}

export interface UnroutedView {
  source: string;
  name: string;
  generation: string;
  size: number;
  firstSeenAt: number;
  lastSeenAt: number;
  reason: string;
}

/** `GET /api/unrouted`. */
export interface UnroutedPage {
  items: UnroutedView[];
  nextCursor?: string;
}

/** Where one source would go, by the same planner the router uses. */
export interface ExplainResultView {
  source: string;
  name: string;
  exists: boolean;
  /** The creation time date placeholders used. */
  created: string;
  note?: string;
  matches: Array<{
    route: string;
    destination: string;
    action: string;
    onConflict: string;
    file: string;
    line: number;
    mask: string;
  }>;
  refused: Array<{ route: string; code: string; message: string }>;
}

/** `GET /api/explain?file=`. */
export interface ExplainAnswer {
  input: string;
  /** One result per source bucket whose rows match (or the one location given). */
  results: ExplainResultView[];
  /** Source buckets of the referential that were considered. */
  sources: string[];
}

/** `POST /api/deliveries/:id/retry` and `POST /api/unrouted/retry`. */
export interface RetryAnswer {
  /** What the sink made of the source: `routed`, `queued` (batch mode), `failed`… */
  outcome: string;
  /** The delivery as it stands after the retry. */
  delivery?: DeliveryView;
  error?: ErrorView;
}
