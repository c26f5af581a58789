import { describe, expect, it } from 'vitest';
import { forEachPool, InOrder, mapPool } from '../../src/util/pool.js';

const tick = (ms = 1) => new Promise((resolve) => setTimeout(resolve, ms));

describe('forEachPool', () => {
  it('takes from an async source only as fast as the workers free up, never more than `concurrency` at once', async () => {
    let pulled = 0;
    let running = 0;
    let most = 0;
    async function* source() {
      for (let i = 0; i < 20; i++) {
        pulled++;
        yield i;
      }
    }
    const seen: Array<[number, number]> = [];
    await forEachPool(source(), 3, async (item, index) => {
      running++;
      most = Math.max(most, running);
      // at most the items in flight have been taken from the source
      expect(pulled).toBeLessThanOrEqual(index + 3);
      await tick();
      seen.push([item, index]);
      running--;
    });
    expect(most).toBe(3);
    expect(seen.map(([item]) => item).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    for (const [item, index] of seen) expect(index).toBe(item);
  });

  it('stops taking items after a worker fails, lets the others finish, closes the source, then rejects', async () => {
    let closed = false;
    let taken = 0;
    async function* source() {
      try {
        for (let i = 0; ; i++) {
          taken++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const finished: number[] = [];
    await expect(
      forEachPool(source(), 2, async (item) => {
        await tick(item === 3 ? 1 : 5);
        if (item === 3) throw new Error('boom');
        finished.push(item);
      }),
    ).rejects.toThrow('boom');
    expect(closed).toBe(true);
    expect(taken).toBeLessThan(10);
    expect(finished).toContain(2);
  });

  it('rejects with the error of a source that fails mid-way, after the items in flight', async () => {
    const finished: number[] = [];
    async function* source() {
      yield 1;
      yield 2;
      throw new Error('listing failed');
    }
    await expect(
      forEachPool(source(), 4, async (item) => {
        await tick();
        finished.push(item);
      }),
    ).rejects.toThrow('listing failed');
    expect(finished.sort()).toEqual([1, 2]);
  });
});

describe('mapPool', () => {
  it('keeps input order whatever order the work finishes in', async () => {
    const out = await mapPool([5, 1, 4, 2, 3], 5, async (n) => {
      await tick(n);
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
  });

  it('answers [] for no items', async () => {
    expect(await mapPool([], 8, async () => 1)).toEqual([]);
  });
});

describe('InOrder', () => {
  it('hands values on in index order, holding early ones until their turn', () => {
    const taken: string[] = [];
    const inOrder = new InOrder<string>((v) => taken.push(v));
    inOrder.put(2, 'c');
    inOrder.put(1, 'b');
    expect(taken).toEqual([]);
    inOrder.put(0, 'a');
    expect(taken).toEqual(['a', 'b', 'c']);
    inOrder.put(4, 'e');
    inOrder.put(3, 'd');
    expect(taken).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
