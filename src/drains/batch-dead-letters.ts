import { errorMessage, TransientError } from '../model/errors.js';
import type { ObjectEvent } from '../model/event.js';
import type { DeliveryRecord, LedgerReports, LedgerStore } from '../ledger/types.js';
import type { Queue, RawBody } from '../queue/types.js';
import { formatLocation } from '../model/keys.js';

/** One dead letter, from the queue (a message) or the ledger (a delivery). */
export interface DeadLetterEntry {
  kind: 'queue' | 'ledger';
  id: string;
  /**
   * `PROJECT/BUCKET/KEY` (`?/BUCKET/KEY` when the message named no project;
   * `(unreadable message)` when its body cannot be read, see `raw`).
   */
  source: string;
  generation?: string;
  route?: string;
  destination?: string;
  attempts: number;
  /** The error code the reason starts with (`E_MESSAGE_UNREADABLE`, `E_DESTINATION_UNWRITABLE`…). */
  code?: string;
  reason: string;
  /** A queue message whose body cannot be read: its first bytes. */
  raw?: RawBody;
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
  /**
   * Deliveries made due again in the ledger: the dead ones retried, and the
   * failed or dead ones of the sources the retried queue dead letters carry.
   */
  ledger: number;
  /** Events published so the sources of those deliveries are routed again. */
  republished: number;
  /** Ids given that matched nothing retryable in the ledger; passed to the queue. */
  queueIds: string[];
  queueUnavailable?: string;
}

const UNREADABLE_SOURCE = '(unreadable message)';

/** Deliveries the router records dead because retrying cannot help: never retried from here. */
const NOT_RETRYABLE_ROUTES: ReadonlySet<string> = new Set(['(unsafe-key)']);

/** Queue dead letters first (oldest first), then dead deliveries (newest first); at most `limit` of each. */
export async function listDeadLetters(
  queue: Queue,
  reports: LedgerReports,
  limit = 100,
): Promise<DeadLetterListing> {
  const listing: DeadLetterListing = { entries: [] };
  if (queue.capabilities.deadLetterAdmin) {
    for (const d of await queue.listDeadLetters(limit)) {
      listing.entries.push({
        kind: 'queue',
        id: d.id,
        source: d.raw ? UNREADABLE_SOURCE : `${d.event.project ?? '?'}/${d.event.bucket}/${d.event.key}`,
        ...(d.event.generation ? { generation: d.event.generation } : {}),
        attempts: d.attempts,
        ...codeOf(d.reason),
        reason: d.reason,
        ...(d.raw ? { raw: d.raw } : {}),
        deadAt: d.deadAt,
      });
    }
  } else {
    listing.queueUnavailable = `${queue.name} cannot list its dead letters`;
  }
  for (const record of await deadDeliveries(reports, limit)) listing.entries.push(fromRecord(record));
  return listing;
}

/**
 * Retries dead letters: with `ids`, each id that names a dead delivery is
 * retried in the ledger and the rest are passed to the queue; without, all of
 * both. A delivery retried in the ledger also gets its source routed again:
 * one event per source generation is published to the queue. A queue dead
 * letter put back also makes its source's failed deliveries due now, so the
 * next drain routes it instead of finding it in backoff.
 */
export async function retryDeadLetters(
  queue: Queue,
  { ledger, reports }: Pick<LedgerStore, 'ledger' | 'reports'>,
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
      ...(await deadDeliveries(reports, Number.POSITIVE_INFINITY)).filter(
        (r) => !NOT_RETRYABLE_ROUTES.has(r.routeId),
      ),
    );
  }

  const result: DeadLetterRetry = { queue: 0, ledger: 0, republished: 0, queueIds };
  if (records.length > 0) result.ledger = await ledger.retryDead(records.map((r) => r.id));
  if (!ids || queueIds.length > 0) {
    if (queue.capabilities.deadLetterAdmin) {
      const retried = new Set(records.map((r) => r.id));
      const due = await dueDeliveriesOf(queue, { ledger, reports }, ids ? queueIds : undefined);
      result.ledger += await ledger.makeDue(due.filter((id) => !retried.has(id)));
      result.queue = await queue.retryDeadLetters(ids ? queueIds : undefined);
    } else {
      result.queueUnavailable = `${queue.name} cannot retry its dead letters`;
    }
  }
  if (records.length === 0) return result;
  await republish(queue, records, result);
  return result;
}

/** How many queue dead letters a retry looks at to find their deliveries. */
const DEAD_LETTER_SCAN = 1_000_000;

/**
 * Ids of the failed or dead deliveries of the sources that the queue's dead
 * letters (those named by `ids`, or all) carry: the deliveries a retry of
 * those messages must make due.
 */
async function dueDeliveriesOf(
  queue: Queue,
  store: Pick<LedgerStore, 'ledger' | 'reports'>,
  ids?: string[],
): Promise<string[]> {
  const wanted = ids ? new Set(ids) : undefined;
  const letters = (await queue.listDeadLetters(DEAD_LETTER_SCAN)).filter((d) => !wanted || wanted.has(d.id));
  const out = new Set<string>();
  for (const { event } of letters) {
    if (!event.bucket || !event.key) continue;
    for (const record of await deliveriesOfEvent(store, event))
      if ((record.state === 'failed' || record.state === 'dead') && !NOT_RETRYABLE_ROUTES.has(record.routeId))
        out.add(record.id);
  }
  return [...out];
}

/** The deliveries an event's source has in the ledger (of its generation when it names one). */
async function deliveriesOfEvent(
  { ledger, reports }: Pick<LedgerStore, 'ledger' | 'reports'>,
  event: ObjectEvent,
): Promise<DeliveryRecord[]> {
  if (event.project !== undefined && event.generation !== undefined) {
    const source = { project: event.project, bucket: event.bucket, key: event.key };
    return ledger.forGeneration(source, event.generation);
  }
  const out: DeliveryRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await reports.query({
      states: ['failed', 'dead'],
      search: event.key,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    out.push(
      ...page.items.filter(
        (r) =>
          r.source.bucket === event.bucket &&
          r.source.key === event.key &&
          (event.project === undefined || r.source.project === event.project) &&
          (event.generation === undefined || r.generation === event.generation),
      ),
    );
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Publishes one event per source generation of the retried dead deliveries. */
async function republish(queue: Queue, records: DeliveryRecord[], result: DeadLetterRetry): Promise<void> {
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
}

async function deadDeliveries(reports: LedgerReports, limit: number): Promise<DeliveryRecord[]> {
  const out: DeliveryRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await reports.query({
      states: ['dead'],
      limit: Math.min(1000, limit - out.length),
      ...(cursor ? { cursor } : {}),
    });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && out.length < limit);
  return out;
}

/** `{ code }` when a reason starts with an error code (`E_…: …`). */
function codeOf(reason: string): { code?: string } {
  const code = /^(E_[A-Z0-9_]+)(?::|$)/.exec(reason)?.[1];
  return code ? { code } : {};
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
    ...(record.errorCode ? { code: record.errorCode } : {}),
    reason: record.errorCode ? `${record.errorCode}: ${record.lastError ?? ''}` : (record.lastError ?? ''),
    deadAt: record.updatedAt,
  };
}
