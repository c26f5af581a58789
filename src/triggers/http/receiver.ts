import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { Counter } from 'prom-client';
import { intake, type IntakeAnswer } from '../../intake/intake.js';
import type { EventSink } from '../../intake/sink.js';
import { silentLogger, type Logger } from '../../util/log.js';
import type { Metrics } from '../../observability/metrics.js';
import { sourceProjectsOf } from '../../referential/row-sets.js';
import type { Referential } from '../../referential/types.js';
import { requireAuth, requireReader, type Authenticator, createAuthenticator } from './auth.js';
import { jsonError, publicDetails, retryAfterSeconds } from './errors.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface ReceiverOptions {
  /** Where events go: `routerSink(router)` in event mode, `queueSink(queue)` in batch mode. */
  sink: EventSink;
  /** Events are admitted against its referential; `/healthz` reports its route count. */
  router: { readonly referential: Referential };
  metrics?: Metrics;
  /** Default: no credential (the caller must then listen on loopback only). */
  auth?: Authenticator;
  /** Largest accepted body in bytes (default 1 MiB); larger ones answer 413 without being read whole. */
  bodyLimit?: number;
  logger?: Logger;
  /** Projects `POST /events/<project>` may name (default: the referential's source projects). */
  projects?: () => ReadonlySet<string>;
  /** `GET /metrics` without a credential even when one is configured (`serve --public-reads`). */
  publicReads?: boolean;
}

/**
 * The HTTP receiver: `POST /events` and `POST /events/<project>` take one
 * notification (any format `decodeNotification` reads) and answer only once
 * each event reached the sink's outcome (invariant 5); `GET /healthz`
 * (always open); `GET /metrics` (the credential too, unless `publicReads`). Returns the Hono app so callers can mount more routes
 * (`app.route('/', other)`).
 *
 * Answers: 200 routed / duplicate / unrouted / ignored / dead (permanent:
 * retrying would not help; the outcome is in the body and in the ledger),
 * 202 queued, 400 malformed or unsafe (`{"error": {"code", "message"}}`),
 * 401 no valid credential, 413 body over the limit, 503 + Retry-After when
 * the sender must retry (transient failure, delivery in flight elsewhere).
 */
export function createReceiverApp(options: ReceiverOptions): Hono {
  const log = options.logger ?? silentLogger();
  const auth = options.auth ?? createAuthenticator();
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const requests = options.metrics ? httpCounter(options.metrics) : undefined;
  const app = new Hono();

  answerUnknownAndFailed(app, log);
  const guard = eventGuard(auth, limit);

  if (requests) {
    const count = async (c: Context, next: () => Promise<void>): Promise<void> => {
      await next();
      requests.inc({ status: String(c.res.status) });
    };
    app.use('/events/*', count); // also matches /events
  }

  app.post('/events', ...guard, (c) => receive(c, undefined, options, log));
  app.post('/events/:project', ...guard, (c) => receive(c, c.req.param('project'), options, log));
  app.on(['GET', 'PUT', 'PATCH', 'DELETE'], ['/events', '/events/:project'], (c) =>
    jsonError(c, 405, 'E_METHOD_NOT_ALLOWED', '[switchyard] [http] use POST to send a notification'),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok', routes: options.router.referential.routes.length }));
  app.get('/metrics', requireReader(auth, options.publicReads), async (c) => {
    if (!options.metrics)
      return jsonError(c, 404, 'E_ROUTE_NOT_FOUND', '[switchyard] [http] metrics are not enabled');
    return c.body(await options.metrics.text(), 200, { 'content-type': options.metrics.contentType });
  });
  return app;
}

/** Thrown errors answer 500 (logged, details kept out of the body); unknown routes 404. */
function answerUnknownAndFailed(app: Hono, log: Logger): void {
  app.onError((error, c) => {
    log.error({ err: error, path: c.req.path }, 'request failed');
    return jsonError(c, 500, 'E_INTERNAL', '[switchyard] [http] internal error');
  });
  app.notFound((c) =>
    jsonError(c, 404, 'E_ROUTE_NOT_FOUND', `[switchyard] [http] no route ${c.req.method} ${c.req.path}`),
  );
}

/** What a notification passes before it is read: a valid credential, then a body under `limit` bytes (else 413). */
function eventGuard(auth: Authenticator, limit: number) {
  return [
    requireAuth(auth),
    bodyLimit({
      maxSize: limit,
      onError: (c) =>
        jsonError(c, 413, 'E_BODY_TOO_LARGE', `[switchyard] [http] body larger than ${limit} bytes`, {
          limit,
        }),
    }),
  ] as const;
}

/** One `POST /events[/<project>]`: the project checked, the body handed to the intake, its answer sent back. */
async function receive(
  c: Context,
  project: string | undefined,
  options: ReceiverOptions,
  log: Logger,
): Promise<Response> {
  if (project !== undefined && !knownProjects(options).has(project)) {
    return jsonError(
      c,
      400,
      'E_EVENT_INVALID',
      `[switchyard] [http] project ${JSON.stringify(project)} is not a source project of the referential`,
      {
        project,
      },
    );
  }
  const body = new Uint8Array(await c.req.arrayBuffer());
  const answer = await intake(
    { body, headers: (name) => c.req.header(name) },
    {
      sink: options.sink,
      referential: () => options.router.referential,
      ...(project !== undefined ? { project } : {}),
      logger: log,
    },
  );
  return respond(c, answer);
}

/** The intake's answer over HTTP: the status by its kind, the answer as the body. */
function respond(c: Context, answer: IntakeAnswer): Response {
  if (answer.kind === 'invalid') {
    const details = answer.error?.details ? publicDetails(answer.error.details) : {};
    return jsonError(c, 400, answer.error!.code, answer.error!.message, details);
  }
  if (answer.kind === 'retry') c.header('Retry-After', String(retryAfterSeconds(answer.retryAfterMs)));
  const status = { ok: 200, queued: 202, retry: 503, rejected: 400 } as const;
  return c.json(answer, status[answer.kind]);
}

function knownProjects(options: ReceiverOptions): ReadonlySet<string> {
  return options.projects ? options.projects() : sourceProjectsOf(options.router.referential);
}

function httpCounter(metrics: Metrics): Counter<'status'> {
  const name = 'switchyard_http_event_requests_total';
  const existing = metrics.registry.getSingleMetric(name);
  if (existing) return existing as Counter<'status'>;
  return new Counter({
    name,
    help: 'POST /events requests answered, by HTTP status.',
    labelNames: ['status'],
    registers: [metrics.registry],
  });
}
