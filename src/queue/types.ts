import type { ObjectEvent } from '../model/event.js';
import type { RawBody } from './raw-body.js';

export type { RawBody } from './raw-body.js';

export interface QueueMessage {
  /** Backend id of this delivery of the message (receipt handle, ack id, row id). */
  id: string;
  event: ObjectEvent;
  /** 1 on first delivery. */
  attempts: number;
  /** epoch ms the message was first published. */
  enqueuedAt: number;
  /**
   * Further events carried by the same backend message (an S3 notification
   * with several records). The drain routes `event` and all of these before it
   * acks `id`; a failure of any of them nacks the whole message.
   */
  extraEvents?: ObjectEvent[];
  /**
   * Set when the message is a notification switchyard does not route (a GCS
   * OBJECT_DELETE, an S3 ObjectRemoved or test event): the drain acks it and
   * records the reason. `event` is best effort (it may have an empty key).
   */
  ignore?: string;
  /**
   * Set when the body could not be understood (not UTF-8, not JSON, not an
   * event): the E_MESSAGE_UNREADABLE message naming what was expected and the
   * parse error. The drain dead-letters it at once and goes on with the other
   * messages. `event` is a placeholder (empty bucket and key).
   */
  malformed?: string;
  /** With `malformed`: the first bytes of the body (RAW_BODY_LIMIT). */
  raw?: RawBody;
}

export interface DeadLetter {
  id: string;
  /** A placeholder (empty bucket and key) when the body cannot be read: see `raw`. */
  event: ObjectEvent;
  /** Set when the dead letter's body cannot be read as an event: its first bytes. */
  raw?: RawBody;
  attempts: number;
  reason: string;
  enqueuedAt: number;
  deadAt: number;
}

export interface QueueStats {
  /** Messages waiting (not leased, not dead). */
  depth: number;
  /** Messages leased to a consumer right now. */
  inFlight: number;
  dead: number;
  /** Age in ms of the oldest waiting or leased message. */
  oldestAgeMs?: number;
  /**
   * Fields this backend cannot measure through its API; they read 0 and are
   * shown as unknown (Pub/Sub's backlog is only in Cloud Monitoring).
   */
  unmeasured?: Array<'depth' | 'inFlight' | 'dead' | 'oldestAgeMs'>;
}

export interface QueueCapabilities {
  /** stats() reports exact numbers (false: best effort, e.g. Pub/Sub). */
  exactStats: boolean;
  /** nack honours the requested delay (false: backend-defined redelivery). */
  nackDelay: boolean;
  /** dead letters can be listed / retried / purged through this interface. */
  deadLetterAdmin: boolean;
}

/**
 * The contract every queue backend keeps (test/conformance/queue.ts proves it):
 *
 * - `publish` is durable when it resolves.
 * - `pull(max, leaseMs)` returns at most `max` messages and hides each from
 *   other consumers until it is acked, nacked or its lease expires; an expired
 *   lease makes the message deliverable again with `attempts + 1`.
 *   `pull` returns [] promptly when nothing is available (it may wait up to
 *   `waitMs`).
 * - `ack` removes the message for good; acking an unknown or expired id is a
 *   no-op, never an error.
 * - `nack(id, delayMs)` makes it deliverable again after about `delayMs`.
 * - `extend(id, leaseMs)` keeps the lease while work is still going on.
 * - `deadLetter(id, reason)` moves it out of the queue into the dead letters,
 *   keeping its body byte for byte.
 * - A body that cannot be decoded never makes `pull` or `listDeadLetters`
 *   throw: the message comes back with `malformed` and `raw` (the dead letter
 *   with `raw`), so one bad message never blocks the others.
 * - Delivery is at least once: the router's ledger makes it exactly-once in effect.
 */
export interface Queue {
  readonly name: string;
  readonly capabilities: QueueCapabilities;
  publish(events: ObjectEvent[]): Promise<void>;
  pull(max: number, leaseMs: number, waitMs?: number): Promise<QueueMessage[]>;
  ack(ids: string[]): Promise<void>;
  nack(id: string, delayMs: number): Promise<void>;
  extend(ids: string[], leaseMs: number): Promise<void>;
  deadLetter(id: string, reason: string): Promise<void>;
  stats(): Promise<QueueStats>;
  listDeadLetters(limit: number): Promise<DeadLetter[]>;
  /** Re-publish dead letters (all when ids is undefined); returns how many. */
  retryDeadLetters(ids?: string[]): Promise<number>;
  purgeDeadLetters(): Promise<number>;
  close(): Promise<void>;
}
