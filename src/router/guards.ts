import type { Ledger } from '../ledger/types.js';
import { isDestinationBucket } from '../referential/row-sets.js';
import type { Referential } from '../referential/types.js';
import { bucketIdentityNowOf, bucketIdentityOf } from '../storage/identity.js';
import { formatLocation, parseLocation } from '../model/keys.js';
import type { StoreRegistry } from '../storage/registry.js';
import type { Location, ObjectInfo } from '../storage/types.js';
import type { PlannedDelivery, RefusedDelivery } from './plan.js';

/** Links of a routing chain followed back before giving up (a chain longer than this is not looked at further). */
export const MAX_CHAIN = 8;

export interface GuardContext {
  stores: StoreRegistry;
  ledger: Ledger;
  referential: Referential;
}

/** What may be applied to an object, once the guards have looked at where it is and how it got there. */
export interface Screened {
  active: PlannedDelivery[];
  refused: RefusedDelivery[];
  /** Routes that wrote this very object where it is: not applied to it again. */
  own: PlannedDelivery[];
  /** Set when the object is left alone altogether: it lies in a destination folder of its own bucket. */
  ignore?: string;
}

/**
 * Screens an object's deliveries before any is claimed (invariant 7 and the
 * loop rule). Bucket identities, not names, are compared, so a destination
 * bucket folder that is a symbolic link to the source folder is the source.
 * - a key under the static destination prefix of a matching row whose
 *   destination is this same bucket is ignored: it was archived there;
 * - a delivery whose destination is the source location is refused
 *   (E_DESTINATION_IS_SOURCE): it would judge the file delivered to itself;
 * - a delivery whose route the object already took (its provenance, or the
 *   ledger's deliveries that wrote it, followed back) is refused
 *   (E_ROUTING_LOOP), unless that route wrote it right here (`own`).
 */
export async function screenDeliveries(
  ctx: GuardContext,
  source: Location,
  object: ObjectInfo,
  deliveries: PlannedDelivery[],
): Promise<Screened> {
  const sameBucket =
    sameBucketNow(ctx.stores, source, deliveries) ?? (await sameBucketAsked(ctx.stores, source, deliveries));
  const archive = deliveries.find(
    (d, i) => sameBucket[i] && underPrefix(source.key, d.route.destinationDirectory),
  );
  if (archive) {
    const note = `lies under ${staticPrefix(archive.route.destinationDirectory)}, where route ${archive.route.id} delivers in this bucket: not routed again`;
    return { active: [], refused: [], own: [], ignore: note };
  }
  const screened: Screened = { active: [], refused: [], own: [] };
  const remaining: PlannedDelivery[] = [];
  deliveries.forEach((d, i) => {
    if (sameBucket[i] && d.plan.destination.key === source.key) screened.refused.push(destinationIsSource(d));
    else remaining.push(d);
  });
  if (remaining.length === 0) return screened;
  const chain = mayHaveBeenRouted(ctx.referential, source, object)
    ? await routingChain(ctx.ledger, source, object)
    : [];
  for (const d of remaining) {
    if (chain[0]?.route === d.route.id) screened.own.push(d);
    else if (chain.some((link) => link.route === d.route.id)) screened.refused.push(routingLoop(d, chain));
    else screened.active.push(d);
  }
  return screened;
}

/**
 * Which deliveries write into the source's own bucket (by identity), from
 * identities the stores hold settled: no promise per file once a scan's
 * buckets are resolved. Undefined when one must be asked (sameBucketAsked).
 */
function sameBucketNow(
  stores: StoreRegistry,
  source: Location,
  deliveries: PlannedDelivery[],
): boolean[] | undefined {
  const here = identityNow(stores, source.project, source.bucket);
  if (here === undefined) return undefined;
  const same: boolean[] = [];
  for (const d of deliveries) {
    const there = identityNow(stores, d.plan.destination.project, d.plan.destination.bucket);
    if (there === undefined) return undefined;
    same.push(there === here);
  }
  return same;
}

function identityNow(stores: StoreRegistry, project: string, bucket: string): string | undefined {
  const store = stores.loaded(project);
  return store === undefined ? undefined : bucketIdentityNowOf(store, bucket);
}

/** sameBucketNow, each identity asked of its store (opened if need be); one that cannot be had is no bucket's. */
async function sameBucketAsked(
  stores: StoreRegistry,
  source: Location,
  deliveries: PlannedDelivery[],
): Promise<boolean[]> {
  const identities = new Map<string, Promise<string | undefined>>();
  const identity = (project: string, bucket: string): Promise<string | undefined> => {
    const name = `${project}\u0000${bucket}`;
    let known = identities.get(name);
    if (!known) {
      // a destination whose store cannot be had fails in its own delivery, recorded there
      known = stores
        .storeFor(project)
        .then((store) => bucketIdentityOf(store, bucket))
        .catch(() => undefined);
      identities.set(name, known);
    }
    return known;
  };
  const here = await identity(source.project, source.bucket);
  return Promise.all(
    deliveries.map(async (d) => {
      const there = await identity(d.plan.destination.project, d.plan.destination.bucket);
      return there !== undefined && there === here;
    }),
  );
}

/**
 * The fixed part of a destination directory, as a key prefix ending in `/`:
 * up to its first placeholder, cut back to a whole folder; '' when nothing is
 * fixed (`{yyyy}/...`, or the bucket root).
 */
export function staticPrefix(directory: string): string {
  const open = directory.indexOf('{');
  const fixed = open < 0 ? directory : directory.slice(0, directory.lastIndexOf('/', open) + 1);
  const trimmed = fixed.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

function underPrefix(key: string, directory: string): boolean {
  const prefix = staticPrefix(directory);
  return prefix !== '' && key.startsWith(prefix);
}

/** One step of how an object got where it is: `route` copied or moved it here from `source`. */
export interface ChainLink {
  route: string;
  source: Location;
  generation: string;
  size: number;
  crc32c?: string;
}

/**
 * How the object got here, newest step first, at most MAX_CHAIN steps: from
 * its provenance (cloud) or the ledger's delivery that wrote this location
 * with these bytes (same generation, as a rename keeps it, or same CRC32C),
 * then the same for that delivery's source, and so on. An object nobody
 * routed here (an operator moved it back) has an empty chain.
 */
export async function routingChain(
  ledger: Ledger,
  location: Location,
  object: ObjectInfo,
): Promise<ChainLink[]> {
  const chain: ChainLink[] = [];
  const seen = new Set<string>();
  const held = { size: object.size, generation: object.generation, crc32c: object.crc32c };
  let link = object.provenance ? fromProvenance(object) : await writerOf(ledger, location, held);
  while (link && chain.length < MAX_CHAIN) {
    chain.push(link);
    const step = `${link.route}\u0000${formatLocation(link.source)}`;
    if (seen.has(step)) break;
    seen.add(step);
    link = await writerOf(ledger, link.source, link);
  }
  return chain;
}

async function writerOf(
  ledger: Ledger,
  location: Location,
  held: { size: number; generation: string; crc32c?: string },
): Promise<ChainLink | undefined> {
  for (const r of await ledger.forDestination(location)) {
    if (r.state !== 'done' && r.state !== 'verified') continue;
    if (r.size !== held.size) continue;
    const sameFile = r.generation === held.generation;
    const sameBytes = r.crc32c !== undefined && (held.crc32c === undefined || held.crc32c === r.crc32c);
    if (!sameFile && !sameBytes) continue;
    const link: ChainLink = { route: r.routeId, source: r.source, generation: r.generation, size: r.size };
    if (r.crc32c !== undefined) link.crc32c = r.crc32c;
    return link;
  }
  return undefined;
}

function fromProvenance(object: ObjectInfo): ChainLink | undefined {
  const provenance = object.provenance;
  if (!provenance) return undefined;
  try {
    return {
      route: provenance.route,
      source: parseLocation(provenance.source),
      generation: provenance.generation,
      size: object.size,
      crc32c: provenance.crc32c,
    };
  } catch {
    return undefined; // a provenance naming no location is no step anyone can follow
  }
}

/** Whether a route could have written this object: it carries provenance, or its bucket is some row's destination. */
function mayHaveBeenRouted(referential: Referential, source: Location, object: ObjectInfo): boolean {
  if (object.provenance) return true;
  return isDestinationBucket(referential, source.project, source.bucket);
}

function destinationIsSource(d: PlannedDelivery): RefusedDelivery {
  const where = formatLocation(d.plan.destination);
  return {
    route: d.route,
    code: 'E_DESTINATION_IS_SOURCE',
    message: `[switchyard] [router] route ${d.route.id}: destination ${where} is the source itself (bucket folders compared after resolving links): the source is kept`,
    destination: d.plan.destination,
  };
}

function routingLoop(d: PlannedDelivery, chain: ChainLink[]): RefusedDelivery {
  const path = chain.map((link) => `${link.route} from ${formatLocation(link.source)}`).join(', ');
  return {
    route: d.route,
    code: 'E_ROUTING_LOOP',
    message: `[switchyard] [router] route ${d.route.id}: this file already took it (${path}); routing it again would loop: the source is kept`,
    destination: d.plan.destination,
  };
}
