/**
 * What became of an event:
 * - `routed`: at least one delivery reached `done` in this call;
 * - `duplicate`: every delivery was already done (idempotency);
 * - `unrouted`: no row matches; recorded, the file left in place;
 * - `ignored`: nothing to do (folder placeholder, a file this route wrote);
 * - `gone`: the source no longer exists and nothing was in flight for it;
 * - `in-flight`: another worker holds a delivery: ask the sender to retry;
 * - `failed`: a transient failure, retried later (`retryAfterMs`);
 * - `dead`: a permanent failure or the retry budget spent: never retried;
 * - `waiting`: a member of a group (`complete_when`) whose marker has not
 *   landed: recorded with its folder, delivered when a later arrival in the
 *   folder finds the group complete (terminal: a queue cannot hold a message
 *   for hours, and waiting is no failure).
 */
export type EventOutcome =
  | 'routed'
  | 'duplicate'
  | 'unrouted'
  | 'ignored'
  | 'gone'
  | 'in-flight'
  | 'failed'
  | 'dead'
  | 'waiting';

/** Terminal for a queue or an HTTP sender: acknowledge (invariant 5). */
export const TERMINAL_OUTCOMES: ReadonlySet<EventOutcome> = new Set([
  'routed',
  'duplicate',
  'unrouted',
  'ignored',
  'gone',
  'dead',
  'waiting',
]);
