import { describe, expect, it } from 'vitest';
import { settleMessage } from '../../src/drains/settle.js';
import type { QueueMessage } from '../../src/queue/types.js';
import type { RouteResult } from '../../src/router/result.js';

const policy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 10_000 };
const event = { origin: 'manual' as const, project: 'p', bucket: 'b', key: 'k.csv' };
const message = (extra: Partial<QueueMessage> = {}): QueueMessage => ({
  id: 'm',
  event,
  attempts: 1,
  enqueuedAt: 0,
  ...extra,
});
const result = (extra: Partial<RouteResult>): RouteResult => ({
  event,
  outcome: 'routed',
  deliveries: [],
  ...extra,
});

describe('settleMessage', () => {
  it('acks every terminal outcome, including a dead one the ledger recorded', () => {
    for (const outcome of ['routed', 'duplicate', 'unrouted', 'ignored', 'gone'] as const) {
      expect(settleMessage(message(), [result({ outcome })], policy)).toEqual({ action: 'ack' });
    }
    const recorded = result({
      outcome: 'dead',
      deliveries: [
        {
          id: 'd',
          routeId: 'r',
          destination: 'q/b/k.csv',
          state: 'dead',
          action: 'move',
          error: { code: 'E_CONFLICT', message: 'x' },
        },
      ],
    });
    expect(settleMessage(message(), [recorded], policy)).toEqual({ action: 'ack' });
    const unsafe = result({ outcome: 'dead', error: { code: 'E_KEY_UNSAFE', message: 'unsafe key' } });
    expect(settleMessage(message(), [unsafe], policy)).toEqual({ action: 'ack' });
  });

  it('nacks after the larger of the backoff and the router’s retryAfterMs', () => {
    const failed = result({
      outcome: 'failed',
      retryAfterMs: 5_000,
      error: { code: 'E_BACKEND', message: 'down' },
    });
    expect(settleMessage(message(), [failed], policy, { random: () => 0 })).toMatchObject({
      action: 'nack',
      delayMs: 5_000,
      error: { code: 'E_BACKEND' },
    });
    const soon = result({ outcome: 'failed', retryAfterMs: 1 });
    expect(settleMessage(message({ attempts: 2 }), [soon], policy, { random: () => 0 })).toMatchObject({
      action: 'nack',
      delayMs: 100,
    });
    const busy = result({ outcome: 'in-flight' });
    expect(settleMessage(message(), [result({}), busy], policy, { random: () => 1 })).toMatchObject({
      action: 'nack',
      delayMs: 100,
      error: { code: 'E_IN_FLIGHT' },
    });
  });

  it('dead-letters after the last attempt, malformed messages, and permanent failures the ledger did not record', () => {
    const failed = result({ outcome: 'failed', error: { code: 'E_BACKEND', message: 'down' } });
    expect(settleMessage(message({ attempts: 3 }), [failed], policy)).toEqual({
      action: 'dead-letter',
      reason: 'gave up after 3 attempt(s): E_BACKEND: down',
    });
    expect(settleMessage(message({ malformed: 'not JSON' }), [], policy)).toEqual({
      action: 'dead-letter',
      reason: 'E_MESSAGE_UNREADABLE: not JSON',
    });
    expect(settleMessage(message({ ignore: 'OBJECT_DELETE' }), [], policy)).toEqual({
      action: 'ack',
      ignored: 'OBJECT_DELETE',
    });
    const unknown = result({
      outcome: 'dead',
      error: { code: 'E_BUCKET_UNKNOWN', message: 'no row uses b' },
    });
    expect(settleMessage(message(), [unknown], policy)).toEqual({
      action: 'dead-letter',
      reason: 'E_BUCKET_UNKNOWN: no row uses b',
    });
  });
});
