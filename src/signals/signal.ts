import { errorCode, errorMessage } from '../model/errors.js';
import { formatLocation, parseLocation } from '../model/keys.js';
import { redactNotifyUrl } from '../referential/notify-url.js';
import type { Referential, Route } from '../referential/types.js';
import { readChecksum } from '../storage/stream-to-store.js';
import type { ObjectStore } from '../storage/types.js';
import type { Logger } from '../util/log.js';
import { mapPool } from '../util/pool.js';
import {
  manifestOf,
  writeManifest,
  type DeliveredFile,
  type DescribedFile,
  type Manifest,
} from './manifest.js';
import type { Notifier } from './notifier.js';

export interface SignalContext {
  /** The referential in effect: which rows write manifests (`write_manifest`) and notify (`notify`). */
  referential(): Referential;
  stores: { storeFor(project: string): Promise<ObjectStore> };
  notifier: Notifier;
  logger: Logger;
  now?: () => Date;
}

export interface SignalRequest {
  /** The drain's or group's id: the manifests are `_MANIFEST-<id>.json` (letters, digits, `.`, `_`, `-`). */
  id: string;
  kind: Manifest['kind'];
  deliveries: readonly DeliveredFile[];
}

/** The message one `notify` URL receives per drain or group that delivered files of its row. */
export interface NotifyMessage {
  id: string;
  kind: Manifest['kind'];
  route: string;
  createdAt: string;
  /** The row's files, each with its destination `PROJECT/BUCKET/KEY`. */
  files: Array<Omit<Manifest['files'][number], 'route'> & { destination: string }>;
  /** `PROJECT/BUCKET/KEY` of each manifest written for these files (empty without `write_manifest`). */
  manifests: string[];
}

export interface SignalReport {
  /** `PROJECT/BUCKET/KEY` of each manifest written. */
  manifests: string[];
  /** Messages sent (one per row with `notify`). */
  notified: number;
  manifestFailures: number;
  notifyFailures: number;
  /** What failed: a manifest (its folder) or a notify URL (secrets hidden), with the route, code and message. */
  errors: Array<{
    kind: 'manifest' | 'notify';
    target: string;
    route: string;
    code: string;
    message: string;
  }>;
}

/**
 * Tells downstream what a drain or a complete group delivered: for rows with
 * `write_manifest`, one `_MANIFEST-<id>.json` per destination folder they
 * delivered into (never overwritten); for rows with `notify`, one message
 * per row carrying its files and manifests. Sizes and CRC32C are the
 * destination's, looked at now. It never throws for a failed manifest or
 * message: each is logged and counted in the report, and no file is
 * delivered again or undone for it.
 */
export async function signalDelivered(ctx: SignalContext, request: SignalRequest): Promise<SignalReport> {
  const report: SignalReport = {
    manifests: [],
    notified: 0,
    manifestFailures: 0,
    notifyFailures: 0,
    errors: [],
  };
  const routes = signallingRoutes(ctx.referential());
  const wanted = request.deliveries.filter((d) => routes.has(d.routeId));
  if (wanted.length === 0) return report;
  const createdAt = (ctx.now ?? (() => new Date()))();
  const described = (await mapPool(wanted, 8, (d) => describe(ctx, d))).filter(
    (d): d is DescribedFile => d !== undefined,
  );
  const written = await writeManifests(ctx, request, createdAt, described, routes, report);
  for (const [routeId, route] of routes) {
    if (route.notify === undefined) continue;
    const files = described.filter((f) => f.routeId === routeId);
    if (files.length === 0) continue;
    const message: NotifyMessage = {
      id: request.id,
      kind: request.kind,
      route: routeId,
      createdAt: createdAt.toISOString(),
      files: files.map((f) => ({
        name: f.key.slice(f.folder.length),
        size: f.size,
        crc32c: f.crc32c,
        source: f.source,
        destination: formatLocation(f),
      })),
      manifests: written.get(routeId) ?? [],
    };
    await notify(ctx, route.notify, message, report);
  }
  return report;
}

const SIGNALLING = new WeakMap<Referential, Map<string, Route>>();

/** Rows with `write_manifest` or `notify`, by route id (per referential: a reload is a new object). */
export function signallingRoutes(referential: Referential): ReadonlyMap<string, Route> {
  let routes = SIGNALLING.get(referential);
  if (!routes) {
    routes = new Map();
    for (const r of referential.routes) if (r.writeManifest || r.notify !== undefined) routes.set(r.id, r);
    SIGNALLING.set(referential, routes);
  }
  return routes;
}

/** What the destination holds now; undefined (logged) when it is gone or cannot be looked at. */
async function describe(ctx: SignalContext, file: DeliveredFile): Promise<DescribedFile | undefined> {
  const at = parseLocation(file.destination);
  try {
    const store = await ctx.stores.storeFor(at.project);
    const info = await store.stat(at.bucket, at.key);
    if (!info) {
      ctx.logger.warn(
        { destination: file.destination, route: file.routeId },
        'delivered file no longer there: left out of its manifest',
      );
      return undefined;
    }
    const crc32c = info.crc32c ?? file.crc32c ?? (await readChecksum(store, at.bucket, at.key, info)).crc32c;
    const slash = at.key.lastIndexOf('/');
    return {
      ...at,
      routeId: file.routeId,
      folder: at.key.slice(0, slash + 1),
      size: info.size,
      crc32c,
      source: file.source,
    };
  } catch (error) {
    ctx.logger.error(
      {
        destination: file.destination,
        route: file.routeId,
        code: errorCode(error),
        error: errorMessage(error),
      },
      'could not look at a delivered file: left out of its manifest',
    );
    return undefined;
  }
}

/** One manifest per destination folder of the rows with `write_manifest`; the manifests written, by route. */
async function writeManifests(
  ctx: SignalContext,
  request: SignalRequest,
  createdAt: Date,
  described: readonly DescribedFile[],
  routes: ReadonlyMap<string, Route>,
  report: SignalReport,
): Promise<Map<string, string[]>> {
  const folders = new Map<string, DescribedFile[]>();
  for (const f of described) {
    if (!routes.get(f.routeId)?.writeManifest) continue;
    const name = JSON.stringify([f.project, f.bucket, f.folder]);
    const list = folders.get(name);
    if (list) list.push(f);
    else folders.set(name, [f]);
  }
  const byRoute = new Map<string, string[]>();
  for (const files of folders.values()) {
    const { project, bucket, folder } = files[0] as DescribedFile;
    const manifest = manifestOf(request.id, request.kind, createdAt, files);
    const routeIds = [...new Set(files.map((f) => f.routeId))];
    try {
      const store = await ctx.stores.storeFor(project);
      const key = await writeManifest(store, bucket, folder, manifest);
      const location = formatLocation({ project, bucket, key });
      report.manifests.push(location);
      for (const id of routeIds) byRoute.set(id, [...(byRoute.get(id) ?? []), location]);
      ctx.logger.info({ manifest: location, files: files.length, routes: routeIds }, 'manifest written');
    } catch (error) {
      report.manifestFailures++;
      const target = `${project}/${bucket}/${folder}`;
      const failure = { code: errorCode(error), message: errorMessage(error) };
      report.errors.push({ kind: 'manifest', target, route: routeIds.join(','), ...failure });
      ctx.logger.error(
        { folder: target, routes: routeIds, ...failure },
        'manifest not written; the files stay delivered',
      );
    }
  }
  return byRoute;
}

async function notify(
  ctx: SignalContext,
  url: string,
  message: NotifyMessage,
  report: SignalReport,
): Promise<void> {
  try {
    await ctx.notifier.send(url, message);
    report.notified++;
  } catch (error) {
    report.notifyFailures++;
    const failure = { code: errorCode(error), message: errorMessage(error) };
    report.errors.push({ kind: 'notify', target: redactNotifyUrl(url), route: message.route, ...failure });
    ctx.logger.error(
      { notify: redactNotifyUrl(url), route: message.route, id: message.id, ...failure },
      'notify message not sent; the files stay delivered',
    );
  }
}
