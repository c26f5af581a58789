import { errorMessage, TransientError } from '../errors.js';
import type { ObjectEvent } from '../events/types.js';
import type { DeliveryRecord, Ledger } from '../ledger/types.js';
import type { Queue } from '../queue/types.js';
import { formatLocation } from '../storage/keys.js';

/** One dead letter, from the queue (a message) or the ledger (a delivery). */
export interface DeadLetterEntry {
  kind: 'queue' | 'ledger';
  id: string;
  /** `PROJECT/BUCKET/KEY` (`?/BUCKET/KEY` when the message named no project). */
  source: string;
  generation?: string;
  route?: string;
  destination?: string;
  attempts: number;
  reason: string;
  deadAt: number;
}

export interface DeadLetterListing {
  entries: DeadLetterEntry[];
  /** Set when the queue cannot list its dead letters (no dead-letter subscription…). */
  queueUnavailable?: string;
}

export interface DeadLetterRetry {
  /** Queue dead letters put back in the queue. */
  queue: number;
  /** Dead deliveries made due again in the ledger. */
  ledger: number;
  /** Events published so the sources of those deliveries are routed again. */
  republished: number;
  /** Ids given that matched nothing retryable in the ledger; passed to the queue. */
  queueIds: string[];
  queueUnavailable?: string;
}

/** Deliveries the router records dead because retrying cannot help: never retried from here. */
const NOT_RETRYABLE_ROUTES: ReadonlySet<string> = new Set(['(unsafe-key)']);

/** Queue dead letters first (oldest first), then dead deliveries (newest first); at most `limit` of each. */
export async function listDeadLetters(queue: Queue, ledger: Ledger, limit = 100): Promise<DeadLetterListing> {
  const listing: DeadLetterListing = { entries: [] };
  if (queue.capabilities.deadLetterAdmin) {
    for (const d of await queue.listDeadLetters(limit)) {
      listing.entries.push({
        kind: 'queue',
        id: d.id,
        source: `${d.event.project ?? '?'}/${d.event.bucket}/${d.event.key}`,
        ...(d.event.generation ? { generation: d.event.generation } : {}),
        attempts: d.attempts,
        reason: d.reason,
        deadAt: d.deadAt,
      });
    }
  } else {
    listing.queueUnavailable = `${queue.name} cannot list its dead letters`;
  }
  for (const record of await deadDeliveries(ledger, limit)) listing.entries.push(fromRecord(record));
  return listing;
}

/**
 * Retries dead letters: with `ids`, each id that names a dead delivery is
 * retried in the ledger and the rest are passed to the queue; without, all of
 * both. A delivery retried in the ledger also gets its source routed again:
 * one event per source generation is published to the queue.
 */
export async function retryDeadLetters(
  queue: Queue,
  ledger: Ledger,
  ids?: string[],
): Promise<DeadLetterRetry> {
  const records: DeliveryRecord[] = [];
  const queueIds: string[] = [];
  if (ids) {
    for (const id of new Set(ids)) {
      const record = await ledger.get(id);
      if (record?.state === 'dead' && !NOT_RETRYABLE_ROUTES.has(record.routeId)) records.push(record);
      else queueIds.push(id);
    }
  } else {
    records.push(
      ...(await deadDeliveries(ledger, Number.POSITIVE_INFINITY)).filter(
        (r) => !NOT_RETRYABLE_ROUTES.has(r.routeId),
      ),
    );
  }

  const result: DeadLetterRetry = { queue: 0, ledger: 0, republished: 0, queueIds };
  if (!ids || queueIds.length > 0) {
    if (queue.capabilities.deadLetterAdmin) {
      result.queue = await queue.retryDeadLetters(ids ? queueIds : undefined);
    } else {
      result.queueUnavailable = `${queue.name} cannot retry its dead letters`;
    }
  }
  if (records.length === 0) return result;
  result.ledger = await ledger.retryDead(records.map((r) => r.id));
  const events = new Map<string, ObjectEvent>();
  for (const r of records) {
    const { project, bucket, key } = r.source;
    events.set(`${formatLocation(r.source)}@${r.generation}`, {
      project,
      bucket,
      key,
      generation: r.generation,
      origin: 'manual',
    });
  }
  const list = [...events.values()];
  try {
    for (let i = 0; i < list.length; i += 500) await queue.publish(list.slice(i, i + 500));
  } catch (error) {
    throw new TransientError(
      'E_BACKEND',
      `[switchyard] [dead-letters] ${result.ledger} deliveries were made due again, but publishing their sources to ${queue.name} failed ` +
        `(${errorMessage(error)}); run \`switchyard scan\` to route them`,
      { queue: queue.name, deliveries: result.ledger },
      { cause: error },
    );
  }
  result.republished = list.length;
  return result;
}

async function deadDeliveries(ledger: Ledger, limit: number): Promise<DeliveryRecord[]> {
  const out: DeliveryRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await ledger.query({
      states: ['dead'],
      limit: Math.min(1000, limit - out.length),
      ...(cursor ? { cursor } : {}),
    });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && out.length < limit);
  return out;
}

function fromRecord(record: DeliveryRecord): DeadLetterEntry {
  return {
    kind: 'ledger',
    id: record.id,
    source: formatLocation(record.source),
    generation: record.generation,
    route: record.routeId,
    destination: formatLocation(record.destination),
    attempts: record.attempts,
    reason: record.errorCode ? `${record.errorCode}: ${record.lastError ?? ''}` : (record.lastError ?? ''),
    deadAt: record.updatedAt,
  };
}
