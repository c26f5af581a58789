// The lease bookkeeping Pub/Sub, SQS and JetStream share (src/queue/leases.ts),
// on a fake clock: the queue conformance suite proves it through each
// backend against a real server; these pin the book's own rules.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LeaseBook } from '../../src/queue/leases.js';

describe('LeaseBook', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const clocked = (): { clock: { now: number }; book: LeaseBook<string> } => {
    const clock = { now: 1_000 };
    return { clock, book: new LeaseBook<string>({ now: () => clock.now }) };
  };

  it('passes ids it never held, leaves out empty and ended ones, each id once', () => {
    const { book } = clocked();
    book.hold('a', 100, 'A');
    expect(book.live(['a', 'x', '', 'a'])).toEqual(['a', 'x']);
    expect(book.end(['a'])).toEqual(['a']);
    expect(book.live(['a', 'x'])).toEqual(['x']);
    expect(book.end(['a'])).toEqual([]);
    expect(book.data('a')).toBeUndefined();
  });

  it('ends a lease when its time is up, unless extended', () => {
    const { clock, book } = clocked();
    book.hold('a', 100, 'A');
    book.hold('b', 100, 'B');
    clock.now += 99;
    expect(book.extend(['a', 'x'], 100)).toEqual(['a', 'x']);
    expect(book.active()).toEqual(['A', 'B']);
    clock.now += 1;
    expect(book.active()).toEqual(['A']);
    expect(book.data('b')).toBeUndefined();
    expect(book.extend(['b'], 100)).toEqual([]);
    expect(book.data('a')).toBe('A');
  });

  it('shows the data of the leases it ends', () => {
    const { book } = clocked();
    book.hold('a', 100, 'A');
    const seen: string[] = [];
    expect(book.end(['a', 'x'], (data) => seen.push(data))).toEqual(['a', 'x']);
    expect(seen).toEqual(['A']);
  });

  it('forgets ended ids and long-expired leases after forgetAfterMs', () => {
    const clock = { now: 1_000 };
    const book = new LeaseBook<string>({ now: () => clock.now, forgetAfterMs: 1_000 });
    book.hold('expired', 10, 'E');
    book.end(['acked']);
    clock.now += 1_011;
    book.prune();
    expect(book.live(['expired', 'acked'])).toEqual(['expired', 'acked']);
  });

  it('with keepAlive: renews ahead of the server deadline, then hands the message back when the lease ends', () => {
    vi.useFakeTimers({ now: 0 });
    const calls: string[] = [];
    const book = new LeaseBook<string>({
      keepAlive: {
        everyMs: 100,
        renew: (id) => calls.push(`renew ${id}`),
        expire: (id) => calls.push(`expire ${id}`),
      },
    });
    book.hold('a', 250, 'A');
    vi.advanceTimersByTime(100);
    expect(calls).toEqual(['renew a']);
    vi.advanceTimersByTime(100);
    expect(calls).toEqual(['renew a']);
    vi.advanceTimersByTime(50);
    expect(calls).toEqual(['renew a', 'expire a']);
    expect(book.live(['a'])).toEqual([]);

    book.hold('b', 150, 'B');
    book.end(['b']);
    vi.advanceTimersByTime(1_000);
    expect(calls).toEqual(['renew a', 'expire a']);
  });
});
