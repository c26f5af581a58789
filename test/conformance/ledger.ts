import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  DeliveryPlan,
  DeliveryState,
  Ledger,
  LedgerReports,
  LedgerStore,
} from '../../src/ledger/types.js';
import { TERMINAL_STATES } from '../../src/ledger/types.js';

export interface LedgerFixture {
  store: LedgerStore;
  /** A second, independent handle on the same store (what a second process or worker has). */
  openPeer?: () => Promise<LedgerStore>;
  cleanup(): Promise<void>;
}

export interface LedgerSuiteOptions {
  /** Test name → why this ledger cannot pass it. */
  skip?: Record<string, string>;
}

const LONG = 60_000;
const SHORT = 50;
/** Generous: 5× a short lease, so a loaded 2-core machine does not flake. */
const PAST_SHORT = 250;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function plan(n: number, overrides: Partial<DeliveryPlan> = {}): DeliveryPlan {
  return {
    id: `d-${String(n).padStart(4, '0')}`,
    source: { project: 'p', bucket: 'in', key: `folder/file-${n}.csv` },
    generation: 'g1',
    routeId: 'r1',
    destination: { project: 'q', bucket: 'out', key: `dir/file-${n}.csv` },
    action: 'move',
    size: 100 + n,
    ...overrides,
  };
}

/**
 * Proves every clause of the Ledger and LedgerReports contracts
 * (src/ledger/types.ts). Each test gets a fresh, empty store from `factory`:
 * its write path as `ledger`, its reports as `reports`.
 */
export function testLedger(
  name: string,
  factory: () => Promise<LedgerFixture>,
  options: LedgerSuiteOptions = {},
): void {
  describe(`Ledger conformance: ${name}`, () => {
    let fixture: LedgerFixture;
    let ledger: Ledger;
    let reports: LedgerReports;

    beforeEach(async () => {
      fixture = await factory();
      ({ ledger, reports } = fixture.store);
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    const test = (title: string, fn: () => Promise<void>): void => {
      const reason = options.skip?.[title];
      if (reason) it.skip(`${title} (skipped: ${reason})`, fn);
      else it(title, fn);
    };

    /** Claims and moves a delivery into `state` under a throwaway owner. */
    const settle = async (p: DeliveryPlan, state: DeliveryState, patch = {}): Promise<void> => {
      expect((await ledger.claim(p, 'setup', LONG)).status).toBe('claimed');
      expect(await ledger.transition(p.id, 'setup', state, patch)).toBe(true);
      await ledger.release(p.id, 'setup');
    };

    const group = (folder: string, routeId = 'r1') => ({ project: 'p', bucket: 'in', folder, routeId });

    test('a waiting group keeps its first sighting; reports list open groups oldest first', async () => {
      await ledger.waiting.record(group('b/'), 1, 2_000);
      await ledger.waiting.record(group('a/'), 1, 1_000);
      await ledger.waiting.record(group('b/'), 3, 5_000);
      await ledger.waiting.record(group('b/'), 2, 1_500);
      const open = await ledger.waiting.open();
      expect(open.map((g) => g.folder)).toEqual(['a/', 'b/']);
      expect(open[1]).toEqual({ ...group('b/'), firstSeenAt: 1_500, lastSeenAt: 5_000, members: 2 });
      expect(await reports.listWaiting(1)).toEqual([open[0]]);
      expect(await ledger.waiting.open(1)).toEqual([open[0]]);
    });

    test('a group is told apart by folder and route, and forgotten once resolved', async () => {
      await ledger.waiting.record(group('a/', 'r1'), 1, 1_000);
      await ledger.waiting.record(group('a/', 'r2'), 1, 1_000);
      await ledger.waiting.resolve(group('a/', 'r1'));
      expect((await reports.listWaiting(10)).map((g) => g.routeId)).toEqual(['r2']);
      await ledger.waiting.resolve(group('nope/'));
      expect(await reports.listWaiting(10)).toHaveLength(1);
    });

    test('a group expires once, leaves the open list, and starts again when seen waiting anew', async () => {
      await ledger.waiting.record(group('a/'), 2, 1_000);
      expect(await ledger.waiting.expire(group('a/'), 9_000, 'timed out')).toBe(true);
      expect(await ledger.waiting.expire(group('a/'), 9_500, 'again')).toBe(false);
      expect(await ledger.waiting.expire(group('never/'), 9_500, 'never')).toBe(false);
      expect(await ledger.waiting.open()).toEqual([]);
      await ledger.waiting.record(group('a/'), 1, 12_000);
      expect(await ledger.waiting.open()).toEqual([
        { ...group('a/'), firstSeenAt: 12_000, lastSeenAt: 12_000, members: 1 },
      ]);
    });

    test('claim inserts a new delivery, then leases it to the caller', async () => {
      const p = plan(1);
      const before = Date.now();
      const result = await ledger.claim(p, 'a', 10_000);
      expect(result.status).toBe('claimed');
      expect(result.record).toMatchObject({ ...p, state: 'planned', attempts: 0, claimedBy: 'a' });
      expect(result.record.claimExpiresAt).toBeGreaterThanOrEqual(before + 10_000);
      expect(result.record.claimExpiresAt).toBeLessThanOrEqual(Date.now() + 10_000);
      const stored = await ledger.get(p.id);
      expect(stored).toMatchObject({ ...p, state: 'planned', attempts: 0, claimedBy: 'a' });
      expect(stored?.createdAt).toBeGreaterThanOrEqual(before);
      expect(await ledger.get('nope')).toBeUndefined();
    });

    test('a claim by another owner during a live lease is busy', async () => {
      await ledger.claim(plan(1), 'a', LONG);
      const second = await ledger.claim(plan(1), 'b', LONG);
      expect(second.status).toBe('busy');
      expect(second.record.claimedBy).toBe('a');
      expect(await ledger.transition(plan(1).id, 'b', 'written')).toBe(false);
      expect((await ledger.get(plan(1).id))?.state).toBe('planned');
    });

    test('the holder renews its lease by claiming again', async () => {
      const first = await ledger.claim(plan(1), 'a', 1_000);
      const again = await ledger.claim(plan(1), 'a', LONG);
      expect(again.status).toBe('claimed');
      expect(again.record.claimExpiresAt).toBeGreaterThan(first.record.claimExpiresAt ?? Infinity);
    });

    test('an expired lease is taken over, and its old holder can no longer transition', async () => {
      await ledger.claim(plan(1), 'a', SHORT);
      await sleep(PAST_SHORT);
      const taken = await ledger.claim(plan(1), 'b', LONG);
      expect(taken.status).toBe('claimed');
      expect(taken.record.claimedBy).toBe('b');
      expect(await ledger.transition(plan(1).id, 'a', 'written')).toBe(false);
      expect(await ledger.transition(plan(1).id, 'b', 'written')).toBe(true);
    });

    test('an existing delivery keeps its stored plan', async () => {
      await ledger.claim(plan(1), 'a', LONG);
      await ledger.release(plan(1).id, 'a');
      const other = plan(1, { size: 999, destination: { project: 'x', bucket: 'y', key: 'z' } });
      const result = await ledger.claim(other, 'b', LONG);
      expect(result.status).toBe('claimed');
      expect(result.record.size).toBe(plan(1).size);
      expect(result.record.destination).toEqual(plan(1).destination);
    });

    test('release ends the lease of its holder only', async () => {
      await ledger.claim(plan(1), 'a', LONG);
      await ledger.release(plan(1).id, 'b');
      expect((await ledger.claim(plan(1), 'b', LONG)).status).toBe('busy');
      await ledger.release(plan(1).id, 'a');
      expect((await ledger.get(plan(1).id))?.claimedBy).toBeUndefined();
      expect((await ledger.claim(plan(1), 'b', LONG)).status).toBe('claimed');
    });

    test('transition by the holder stores the state, its timestamp and the patch', async () => {
      const p = plan(1);
      await ledger.claim(p, 'a', LONG);
      const moved = { project: 'q', bucket: 'out', key: 'dir/file-1.g1.csv' };
      expect(
        await ledger.transition(p.id, 'a', 'written', {
          crc32c: 'AAAAAA==',
          bytesThroughProcess: 0,
          destination: moved,
        }),
      ).toBe(true);
      const written = await ledger.get(p.id);
      expect(written).toMatchObject({
        state: 'written',
        crc32c: 'AAAAAA==',
        bytesThroughProcess: 0,
        destination: moved,
        claimedBy: 'a',
      });
      expect(written?.writtenAt).toBeGreaterThan(0);
      expect(await ledger.transition(p.id, 'a', 'verified')).toBe(true);
      expect((await ledger.get(p.id))?.verifiedAt).toBeGreaterThan(0);
      expect(await ledger.transition(p.id, 'a', 'done')).toBe(true);
      const done = await ledger.get(p.id);
      expect(done).toMatchObject({ state: 'done', crc32c: 'AAAAAA==', attempts: 0 });
      expect(done?.doneAt).toBeGreaterThanOrEqual(done?.verifiedAt ?? Infinity);
      expect(done?.claimedBy).toBeUndefined();
      expect(await ledger.transition('unknown', 'a', 'done')).toBe(false);
    });

    test('a terminal delivery is never claimed again nor moved out of its state', async () => {
      let n = 0;
      for (const state of TERMINAL_STATES) {
        const p = plan(++n);
        await ledger.claim(p, 'a', LONG);
        expect(await ledger.transition(p.id, 'a', state)).toBe(true);
        for (const owner of ['a', 'b']) {
          const again = await ledger.claim(p, owner, LONG);
          expect(again.status, `${state} claimed by ${owner}`).toBe('terminal');
          expect(again.record.state).toBe(state);
          expect(await ledger.transition(p.id, owner, 'planned')).toBe(false);
        }
        expect((await ledger.get(p.id))?.state).toBe(state);
      }
    });

    test('reopen makes a done delivery a new attempt leased to the caller, keeping why', async () => {
      const p = plan(1, { size: 40 });
      await settle(p, 'verified', { crc32c: 'AAAAAA==', bytesThroughProcess: 40 });
      expect((await ledger.claim(p, 'setup', LONG)).status).toBe('claimed');
      expect(await ledger.transition(p.id, 'setup', 'done', { sourceDeletedAt: 5 })).toBe(true);
      const reason = { errorCode: 'E_NOT_FOUND', lastError: 'the destination no longer holds it' };
      const reopened = await ledger.reopen(p.id, 'a', LONG, reason);
      expect(reopened?.status).toBe('claimed');
      const record = await ledger.get(p.id);
      expect(reopened?.record.state).toBe('planned');
      expect(record).toMatchObject({ state: 'planned', claimedBy: 'a', attempts: 0, ...reason });
      expect(record?.claimExpiresAt).toBeGreaterThan(Date.now());
      for (const stale of ['doneAt', 'verifiedAt', 'writtenAt', 'sourceDeletedAt', 'crc32c'] as const)
        expect(record?.[stale], stale).toBeUndefined();
      expect(record?.createdAt).toBeLessThanOrEqual(record?.updatedAt ?? 0);
      expect((await reports.counts()).byState).toMatchObject({ done: 0, planned: 1 });
      expect((await reports.routeStats())[0]).toMatchObject({ done: 0, bytes: 0 });
      // a second caller meanwhile finds it held; the holder carries it to done again, counted once
      expect((await ledger.reopen(p.id, 'b', LONG, reason))?.status).toBe('busy');
      expect(await ledger.transition(p.id, 'a', 'done')).toBe(true);
      expect((await reports.counts()).byState).toMatchObject({ done: 1, planned: 0 });
      expect((await reports.routeStats())[0]).toMatchObject({ done: 1, bytes: 40 });
      expect((await reports.flows()).map((f) => f.files)).toEqual([1]);
    });

    test('reopen answers as claim for a delivery that is not done, and undefined for an unknown id', async () => {
      const reason = { errorCode: 'E_NOT_FOUND', lastError: 'gone' };
      expect(await ledger.reopen('unknown', 'a', LONG, reason)).toBeUndefined();
      const dead = plan(1);
      await settle(dead, 'dead');
      expect((await ledger.reopen(dead.id, 'a', LONG, reason))?.status).toBe('terminal');
      expect((await ledger.get(dead.id))?.state).toBe('dead');
      const held = plan(2);
      await ledger.claim(held, 'x', LONG);
      expect((await ledger.reopen(held.id, 'a', LONG, reason))?.status).toBe('busy');
      await ledger.release(held.id, 'x');
      const claimed = await ledger.reopen(held.id, 'a', LONG, reason);
      expect(claimed?.status).toBe('claimed');
      expect(claimed?.record.lastError).toBeUndefined();
    });

    test('failed counts an attempt and backs off until its next attempt is due', async () => {
      const p = plan(1);
      await ledger.claim(p, 'a', LONG);
      const due = Date.now() + 150;
      expect(
        await ledger.transition(p.id, 'a', 'failed', {
          errorCode: 'E_BACKEND',
          lastError: 'boom',
          nextAttemptAt: due,
        }),
      ).toBe(true);
      const failed = await ledger.get(p.id);
      expect(failed).toMatchObject({
        state: 'failed',
        attempts: 1,
        errorCode: 'E_BACKEND',
        lastError: 'boom',
        nextAttemptAt: due,
      });
      expect(failed?.claimedBy).toBeUndefined();
      const early = await ledger.claim(p, 'b', LONG);
      expect(early.status).toBe('backoff');
      await sleep(due - Date.now() + 100);
      expect((await ledger.claim(p, 'b', LONG)).status).toBe('claimed');
      expect(await ledger.transition(p.id, 'b', 'failed', { lastError: 'again' })).toBe(true);
      const twice = await ledger.get(p.id);
      expect(twice).toMatchObject({ attempts: 2, lastError: 'again' });
      expect((await ledger.claim(p, 'c', LONG)).status).toBe('claimed');
    });

    test('dead is terminal and counts an attempt; retryDead makes it due again', async () => {
      await settle(plan(1), 'dead', { errorCode: 'E_KEY_UNSAFE', lastError: 'unsafe' });
      await settle(plan(2), 'dead');
      await settle(plan(3), 'done');
      expect(await ledger.get(plan(1).id)).toMatchObject({
        state: 'dead',
        attempts: 1,
        errorCode: 'E_KEY_UNSAFE',
      });
      expect((await ledger.claim(plan(1), 'a', LONG)).status).toBe('terminal');
      expect(await ledger.retryDead([plan(1).id, plan(3).id, 'unknown'])).toBe(1);
      expect(await ledger.get(plan(1).id)).toMatchObject({ state: 'failed', attempts: 0 });
      expect((await ledger.claim(plan(1), 'a', LONG)).status).toBe('claimed');
      expect((await ledger.get(plan(2).id))?.state).toBe('dead');
      expect(await ledger.retryDead()).toBe(1);
      expect((await ledger.get(plan(2).id))?.state).toBe('failed');
      expect((await ledger.get(plan(3).id))?.state).toBe('done');
      expect(await ledger.retryDead()).toBe(0);
    });

    test('forGeneration returns every delivery of one source generation', async () => {
      const source = plan(1).source;
      for (const route of ['r1', 'r2', 'r3'])
        await ledger.claim(plan(1, { id: `x-${route}`, routeId: route }), 'a', LONG);
      await ledger.claim(plan(1, { id: 'other-gen', generation: 'g2' }), 'a', LONG);
      await ledger.claim(plan(2, { id: 'other-key' }), 'a', LONG);
      await ledger.claim(plan(1, { id: 'other-bucket', source: { ...source, bucket: 'in2' } }), 'a', LONG);
      const found = await ledger.forGeneration(source, 'g1');
      expect(found.map((r) => r.id).sort()).toEqual(['x-r1', 'x-r2', 'x-r3']);
      expect(await ledger.forGeneration(source, 'g9')).toEqual([]);
    });

    test('forDestination returns the deliveries that wrote there, newest first', async () => {
      const destination = plan(1).destination;
      await settle(plan(1, { id: 'old', generation: 'g1' }), 'done');
      await sleep(5);
      await settle(plan(1, { id: 'new', generation: 'g2' }), 'done');
      await settle(plan(2), 'done');
      const found = await ledger.forDestination(destination);
      expect(found.map((r) => r.id)).toEqual(['new', 'old']);
      const moved = { ...destination, key: 'elsewhere.csv' };
      await ledger.claim(plan(3), 'a', LONG);
      await ledger.transition(plan(3).id, 'a', 'written', { destination: moved });
      expect((await ledger.forDestination(moved)).map((r) => r.id)).toEqual([plan(3).id]);
    });

    test('markSourceDeleted stamps every delivery of that generation only', async () => {
      await ledger.claim(plan(1, { id: 'a1', routeId: 'r1' }), 'a', LONG);
      await ledger.claim(plan(1, { id: 'a2', routeId: 'r2' }), 'a', LONG);
      await ledger.claim(plan(1, { id: 'b1', generation: 'g2' }), 'a', LONG);
      await ledger.markSourceDeleted(plan(1).source, 'g1', 12345);
      expect((await ledger.get('a1'))?.sourceDeletedAt).toBe(12345);
      expect((await ledger.get('a2'))?.sourceDeletedAt).toBe(12345);
      expect((await ledger.get('b1'))?.sourceDeletedAt).toBeUndefined();
    });

    test('a transition can stamp the source deletion of its own delivery (a move by rename)', async () => {
      await ledger.claim(plan(1, { id: 'm1' }), 'a', LONG);
      await ledger.claim(plan(2, { id: 'm2' }), 'a', LONG);
      expect(
        await ledger.transitionMany(
          [
            { id: 'm1', state: 'done', patch: { sourceDeletedAt: 777 } },
            { id: 'm2', state: 'done' },
          ],
          'a',
        ),
      ).toEqual([true, true]);
      expect((await ledger.get('m1'))?.sourceDeletedAt).toBe(777);
      expect((await ledger.get('m2'))?.sourceDeletedAt).toBeUndefined();
    });

    test('unrouted objects are recorded once per location, listed, counted and resolved', async () => {
      const a = { project: 'p', bucket: 'in', key: 'stray/a.bin' };
      const b = { project: 'p', bucket: 'in', key: 'stray/b.bin' };
      await ledger.recordUnrouted(a, 'g1', 10, 1000);
      await ledger.recordUnrouted(b, 'g1', 20, 2000);
      await ledger.recordUnrouted(a, 'g2', 11, 3000);
      const listed = await reports.listUnrouted(10);
      expect(listed).toEqual([
        { source: a, generation: 'g2', size: 11, firstSeenAt: 1000, lastSeenAt: 3000 },
        { source: b, generation: 'g1', size: 20, firstSeenAt: 2000, lastSeenAt: 2000 },
      ]);
      expect((await reports.listUnrouted(1, 1)).map((u) => u.source.key)).toEqual([b.key]);
      expect(await reports.counts()).toMatchObject({ unrouted: 2, oldestUnroutedAt: 1000 });
      await ledger.resolveUnrouted(a, 4000);
      expect((await reports.listUnrouted(10)).map((u) => u.source.key)).toEqual([b.key]);
      expect(await reports.counts()).toMatchObject({ unrouted: 1, oldestUnroutedAt: 2000 });
      await ledger.resolveUnrouted(b, 4000);
      const none = await reports.counts();
      expect(none.unrouted).toBe(0);
      expect(none.oldestUnroutedAt).toBeUndefined();
      await ledger.recordUnrouted(a, 'g3', 12, 5000);
      expect(await reports.listUnrouted(10)).toEqual([
        { source: a, generation: 'g3', size: 12, firstSeenAt: 5000, lastSeenAt: 5000 },
      ]);
    });

    test('a file a delivery is recorded for is no longer unrouted: claimed, or held then recorded', async () => {
      const claimed = plan(1);
      const held = plan(2);
      const elsewhere = plan(3, { source: { project: 'p', bucket: 'other', key: 'folder/file-1.csv' } });
      for (const p of [claimed, held]) await ledger.recordUnrouted(p.source, 'g0', 5, 1000);
      await ledger.recordUnrouted(elsewhere.source, 'g0', 5, 1000);
      expect((await ledger.claim(claimed, 'w', LONG)).status).toBe('claimed');
      expect((await reports.listUnrouted(10)).map((u) => u.source)).toEqual([held.source, elsewhere.source]);
      if (ledger.holdMany) {
        // a hold writes nothing: the file stays unrouted until its record is written
        expect((await ledger.holdMany([held], 'w', LONG))[0]?.status).toBe('claimed');
        expect(await ledger.transition(held.id, 'w', 'written')).toBe(true);
        expect((await reports.counts()).unrouted).toBe(2);
        expect(await ledger.transition(held.id, 'w', 'done')).toBe(true);
      } else {
        expect((await ledger.claim(held, 'w', LONG)).status).toBe('claimed');
      }
      expect((await reports.listUnrouted(10)).map((u) => u.source)).toEqual([elsewhere.source]);
      expect((await reports.counts()).unrouted).toBe(1);
    });

    test('resolveUnroutedUnseen resolves the open entries of one bucket last seen before a time', async () => {
      const seen = (key: string, bucket = 'in') => ({ project: 'p', bucket, key });
      await ledger.recordUnrouted(seen('old.csv'), 'g1', 1, 1000);
      await ledger.recordUnrouted(seen('new.csv'), 'g1', 1, 3000);
      await ledger.recordUnrouted(seen('other.csv', 'elsewhere'), 'g1', 1, 1000);
      await ledger.recordUnrouted(seen('edge.csv'), 'g1', 1, 2000);
      expect(await ledger.resolveUnroutedUnseen({ project: 'p', bucket: 'in' }, 2000, 4000)).toBe(1);
      const open = (await reports.listUnrouted(10)).map((u) => `${u.source.bucket}/${u.source.key}`);
      expect(open.sort()).toEqual(['elsewhere/other.csv', 'in/edge.csv', 'in/new.csv']);
      expect(await ledger.resolveUnroutedUnseen({ project: 'p', bucket: 'in' }, 2000, 5000)).toBe(0);
      // seen again later: open again, from that sighting
      await ledger.recordUnrouted(seen('old.csv'), 'g2', 1, 6000);
      expect((await reports.listUnrouted(10)).map((u) => u.source.key)).toContain('old.csv');
    });

    test('an unrouted file keeps the reason it cannot be routed, until a sighting without one', async () => {
      const bad = { project: 'p', bucket: 'in', key: 'bad\\xFF.csv' };
      await ledger.recordUnrouted(bad, 'g1', 3, 1000, 'E_KEY_ENCODING');
      expect(await reports.listUnrouted(10)).toEqual([
        {
          source: bad,
          generation: 'g1',
          size: 3,
          firstSeenAt: 1000,
          lastSeenAt: 1000,
          reason: 'E_KEY_ENCODING',
        },
      ]);
      await ledger.recordUnrouted(bad, 'g2', 4, 2000);
      expect((await reports.listUnrouted(10))[0]?.reason).toBeUndefined();
    });

    test('query filters by states, route and search, and pages by cursor without gaps or repeats', async () => {
      const plans = Array.from({ length: 250 }, (_, i) =>
        plan(i, {
          routeId: i % 2 ? 'odd' : 'even',
          source: { project: 'p', bucket: 'in', key: i % 50 === 0 ? `Needle/${i}.csv` : `hay/${i}.csv` },
        }),
      );
      const claims = await ledger.claimMany(plans, 'a', LONG);
      expect(claims.map((c) => c.status)).toEqual(plans.map(() => 'claimed'));
      const states = await ledger.transitionMany(
        plans.filter((_, i) => i % 5 === 0).map((p) => ({ id: p.id, state: 'done' as const })),
        'a',
      );
      expect(states.every(Boolean)).toBe(true);

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await reports.query({ limit: 100, ...(cursor ? { cursor } : {}) });
        pages++;
        for (let i = 1; i < page.items.length; i++) {
          const [prev, cur] = [page.items[i - 1], page.items[i]];
          expect(
            prev &&
              cur &&
              (prev.updatedAt > cur.updatedAt || (prev.updatedAt === cur.updatedAt && prev.id > cur.id)),
          ).toBe(true);
        }
        seen.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(new Set(seen).size).toBe(250);
      expect(seen.length).toBe(250);

      const done = await reports.query({ states: ['done'], limit: 1000 });
      expect(done.items).toHaveLength(50);
      expect(done.nextCursor).toBeUndefined();
      expect((await reports.query({ states: ['done', 'planned'], limit: 1000 })).items).toHaveLength(250);
      const mixed: string[] = [];
      let page: { nextCursor?: string } = {};
      do {
        const next = await reports.query({
          states: ['planned', 'done'],
          limit: 30,
          ...(page.nextCursor ? { cursor: page.nextCursor } : {}),
        });
        mixed.push(...next.items.map((r) => r.id));
        page = next;
      } while (page.nextCursor && mixed.length <= 250);
      expect(mixed).toEqual(seen);
      expect((await reports.query({ states: [], limit: 1000 })).items).toHaveLength(0);
      const odd = await reports.query({ routeId: 'odd', states: ['planned'], limit: 1000 });
      expect(odd.items).toHaveLength(100);
      expect(odd.items.every((r) => r.routeId === 'odd' && r.state === 'planned')).toBe(true);
      const found = await reports.query({ search: 'needle/', limit: 1000 });
      expect(found.items.map((r) => r.source.key).sort()).toEqual(
        [0, 100, 150, 200, 50].map((i) => `Needle/${i}.csv`),
      );
      expect((await reports.query({ search: 'dir/file-7.csv', limit: 1000 })).items.map((r) => r.id)).toEqual(
        [plans[7]?.id],
      );
      expect((await reports.query({ sinceMs: Date.now() + 60_000 })).items).toEqual([]);
      const small = await reports.query({ states: ['done'], limit: 20 });
      const rest = await reports.query({
        states: ['done'],
        limit: 1000,
        cursor: small.nextCursor ?? 'missing',
      });
      expect(small.items.length + rest.items.length).toBe(50);
    });

    test('counts reports every state and routeStats totals per route', async () => {
      await settle(plan(1, { routeId: 'a', size: 10 }), 'done');
      await settle(plan(2, { routeId: 'a', size: 20 }), 'done');
      await settle(plan(3, { routeId: 'a' }), 'failed');
      await settle(plan(4, { routeId: 'b' }), 'dead');
      await ledger.claim(plan(5, { routeId: 'b' }), 'x', LONG);
      const counts = await reports.counts();
      expect(counts.byState).toEqual({
        planned: 1,
        written: 0,
        verified: 0,
        done: 2,
        failed: 1,
        dead: 1,
        gone: 0,
        superseded: 0,
      });
      expect(counts.unrouted).toBe(0);
      const stats = await reports.routeStats();
      expect(stats.map(({ lastAt: _, ...s }) => s)).toEqual([
        { routeId: 'a', deliveries: 3, done: 2, failed: 1, dead: 0, bytes: 30 },
        { routeId: 'b', deliveries: 2, done: 0, failed: 0, dead: 1, bytes: 0 },
      ]);
      expect(stats[0]?.lastAt).toBeGreaterThan(0);
      expect(await reports.routeStats(Date.now() + 60_000)).toEqual([]);
      await sleep(5);
      const mark = Date.now();
      await sleep(5);
      await settle(plan(6, { routeId: 'b', size: 7 }), 'done');
      const recent = await reports.routeStats(mark);
      expect(recent.map(({ lastAt: _, ...s }) => s)).toEqual([
        { routeId: 'b', deliveries: 1, done: 1, failed: 0, dead: 0, bytes: 7 },
      ]);
      expect(recent[0]?.lastAt).toBeGreaterThanOrEqual(mark);
      expect((await reports.routeStats()).find((s) => s.routeId === 'b')).toMatchObject({
        deliveries: 3,
        done: 1,
        bytes: 7,
      });
    });

    test('flows totals done deliveries per source bucket and destination bucket, within a window', async () => {
      const src = (bucket: string) => ({ project: 'p', bucket, key: `k/${bucket}-${Math.random()}.csv` });
      const dst = (project: string, bucket: string) => ({ project, bucket, key: 'out/x.csv' });
      await settle(plan(1, { source: src('in'), destination: dst('q', 'out'), size: 10 }), 'done');
      await settle(
        plan(2, { source: src('in'), destination: dst('q', 'out'), size: 20, routeId: 'r2' }),
        'done',
      );
      await settle(plan(3, { source: src('in'), destination: dst('q', 'archive'), size: 5 }), 'done');
      await settle(plan(4, { source: src('landing'), destination: dst('q', 'out'), size: 1 }), 'done');
      await settle(plan(5, { source: src('in'), destination: dst('q', 'out'), size: 99 }), 'dead');
      await ledger.claim(plan(6, { source: src('in'), destination: dst('q', 'out') }), 'x', LONG);
      const flow = (sourceBucket: string, destinationBucket: string, files: number, bytes: number) => ({
        sourceProject: 'p',
        sourceBucket,
        destinationProject: 'q',
        destinationBucket,
        files,
        bytes,
      });
      expect(await reports.flows()).toEqual([
        flow('in', 'archive', 1, 5),
        flow('in', 'out', 2, 30),
        flow('landing', 'out', 1, 1),
      ]);
      expect(await reports.flows(Date.now() + 60_000)).toEqual([]);
      await sleep(5);
      const mark = Date.now();
      await sleep(5);
      await settle(plan(7, { source: src('landing'), destination: dst('q', 'out'), size: 4 }), 'done');
      expect(await reports.flows(mark)).toEqual([flow('landing', 'out', 1, 4)]);
      expect((await reports.flows()).find((f) => f.sourceBucket === 'landing')).toEqual(
        flow('landing', 'out', 2, 5),
      );
      expect((await reports.counts()).byState.done).toBe(5);
    });

    test('a search with scanLimit examines that many deliveries per page and pages on without gaps or repeats', async () => {
      const plans = Array.from({ length: 30 }, (_, i) =>
        plan(i, {
          source: { project: 'p', bucket: 'in', key: i % 3 === 0 ? `NEEDLE-${i}.csv` : `hay-${i}.csv` },
        }),
      );
      await ledger.claimMany(plans, 'a', LONG);
      await ledger.transitionMany(
        plans.filter((_, i) => i % 2 === 0).map((p) => ({ id: p.id, state: 'done' as const })),
        'a',
      );
      const all = (await reports.query({ limit: 1000 })).items.map((r) => r.id);
      const expected = (await reports.query({ search: 'needle', limit: 1000 })).items.map((r) => r.id);
      expect(expected).toHaveLength(10);
      expect((await reports.query({ scanLimit: 3, limit: 1000 })).items).toHaveLength(30);

      const pageThrough = async (extra: { limit: number; states?: DeliveryState[] }) => {
        const ids: string[][] = [];
        let cursor: string | undefined;
        do {
          const page = await reports.query({
            search: 'needle',
            scanLimit: 7,
            ...extra,
            ...(cursor ? { cursor } : {}),
          });
          ids.push(page.items.map((r) => r.id));
          cursor = page.nextCursor;
        } while (cursor && ids.length < 100);
        return ids;
      };
      const pages = await pageThrough({ limit: 100 });
      expect(pages).toHaveLength(5);
      expect(pages.flat()).toEqual(expected);
      pages.forEach((page, i) => {
        const examined = new Set(all.slice(i * 7, i * 7 + 7));
        expect(page.every((id) => examined.has(id))).toBe(true);
      });
      expect((await pageThrough({ limit: 1 })).flat()).toEqual(expected);
      const mixed = await pageThrough({ limit: 2, states: ['planned', 'done'] });
      expect(mixed.flat()).toEqual(expected);
      expect(mixed.every((page) => page.length <= 2)).toBe(true);
    });

    test('20 owners racing on one delivery: exactly one claims it', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => ledger.claim(plan(1), `owner-${i}`, LONG)),
      );
      expect(results.filter((r) => r.status === 'claimed')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'busy')).toHaveLength(19);
    });

    test('claimMany and transitionMany answer per item, in order', async () => {
      await settle(plan(2), 'done');
      await ledger.claim(plan(3), 'other', LONG);
      const claims = await ledger.claimMany([plan(1), plan(2), plan(3)], 'a', LONG);
      expect(claims.map((c) => c.status)).toEqual(['claimed', 'terminal', 'busy']);
      expect(claims.map((c) => c.record.id)).toEqual([plan(1).id, plan(2).id, plan(3).id]);
      const moved = await ledger.transitionMany(
        [
          { id: plan(1).id, state: 'verified', patch: { crc32c: 'x' } },
          { id: plan(2).id, state: 'planned' },
          { id: plan(3).id, state: 'done' },
        ],
        'a',
      );
      expect(moved).toEqual([true, false, false]);
      expect(await ledger.get(plan(1).id)).toMatchObject({ state: 'verified', crc32c: 'x' });
      expect(await ledger.claimMany([], 'a', LONG)).toEqual([]);
      expect(await ledger.transitionMany([], 'a')).toEqual([]);
    });

    test('activeOwners lists live leases and releaseOwner frees a dead process', async () => {
      if (!ledger.activeOwners || !ledger.releaseOwner)
        throw new Error(`${name}: no activeOwners/releaseOwner; declare the skip`);
      await ledger.claim(plan(1), 'host:1:abc#1', LONG);
      await ledger.claim(plan(2), 'host:1:abc#2', LONG);
      await ledger.claim(plan(3), 'host:1:abcd#1', LONG);
      await ledger.claim(plan(4), 'host:2:zzz#1', SHORT);
      await sleep(PAST_SHORT);
      expect(await ledger.activeOwners()).toEqual(['host:1:abc#1', 'host:1:abc#2', 'host:1:abcd#1']);
      expect(await ledger.releaseOwner('host:1:abc')).toBe(2);
      expect((await ledger.claim(plan(1), 'b', LONG)).status).toBe('claimed');
      expect((await ledger.claim(plan(3), 'b', LONG)).status).toBe('busy');
    });

    test('two handles on one store racing: each delivery claimed exactly once', async () => {
      if (!fixture.openPeer) throw new Error(`${name}: the fixture gives no openPeer; declare the skip`);
      const peer = await fixture.openPeer();
      try {
        const plans = Array.from({ length: 40 }, (_, i) => plan(i));
        const one = async (l: Ledger, owner: string): Promise<string[]> => {
          const won: string[] = [];
          for (const p of plans) if ((await l.claim(p, owner, LONG)).status === 'claimed') won.push(p.id);
          return won;
        };
        const [a, b, c, d] = await Promise.all([
          one(ledger, 'a'),
          one(peer.ledger, 'b'),
          ledger.claimMany(plans, 'c', LONG),
          peer.ledger.claimMany(plans, 'd', LONG),
        ]);
        const winners = [
          ...a,
          ...b,
          ...c.filter((r) => r.status === 'claimed').map((r) => r.record.id),
          ...d.filter((r) => r.status === 'claimed').map((r) => r.record.id),
        ];
        expect(winners.sort()).toEqual(plans.map((p) => p.id).sort());
        const holder = (await peer.ledger.get(plan(0).id))?.claimedBy as string;
        expect(await ledger.transition(plan(0).id, holder, 'done')).toBe(true);
        expect((await peer.ledger.claim(plan(0), 'e', LONG)).status).toBe('terminal');
      } finally {
        await peer.close();
      }
    });
  });
}
