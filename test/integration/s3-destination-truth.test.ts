// The destination is the truth, on S3 (fauxqs): an unversioned bucket names a
// generation by its ETag, so the same bytes sent again after the consumer took
// the first copy are the generation the ledger remembers as done; they must be
// delivered again, never deleted as a duplicate. Loops and a destination that
// is its source are refused with the source kept. test/core/destination-truth.test.ts
// holds the local-folder cases.
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/util/log.js';
import { openContext, type Context } from '../../src/runtime/context.js';
import { scan } from '../../src/modes/scan.js';
import type { ObjectStore } from '../../src/storage/types.js';
import type { Workspace } from '../helpers/workspace.js';
import {
  bypassedReferential,
  cloudWorkspace,
  configOf,
  HEADER,
  s3Bucket,
  s3Get,
  s3Keys,
  s3Put,
  startCloud,
  type Cloud,
} from './cloud-fixture.js';

describe('the destination is the truth (S3, fauxqs)', () => {
  let cloud: Cloud;
  let ws: Workspace | undefined;
  let ctx: Context | undefined;

  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(async () => cloud?.stop());
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
    await ws?.remove();
    ws = undefined;
  });

  async function open(
    rows: string,
    options: { header?: string; bypassValidation?: boolean } = {},
  ): Promise<Context> {
    const csv = `${options.header ?? HEADER}\n${rows}`;
    ws = await cloudWorkspace(cloud, csv);
    const referential = options.bypassValidation ? { referential: bypassedReferential(csv) } : {};
    ctx = await openContext(await configOf(ws), silentLogger(), referential);
    return ctx;
  }
  const event = (project: string, bucket: string, key: string) => ({
    project,
    bucket,
    key,
    origin: 'manual' as const,
  });

  it('the same bytes landing again after the consumer took the first copy are delivered, not deleted', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    const c = await open(`src,${landing},\\.csv$,lake,${lake},in,move\n`);
    const first = await s3Put(cloud, landing, 'f.csv', 'same bytes');
    expect((await c.router.route(event('src', landing, 'f.csv'))).outcome).toBe('routed');
    await cloud.s3.send(new DeleteObjectCommand({ Bucket: lake, Key: 'in/f.csv' }));
    expect(await s3Put(cloud, landing, 'f.csv', 'same bytes')).toBe(first);
    const again = await c.router.route(event('src', landing, 'f.csv'));
    expect(again.outcome).toBe('routed');
    expect(await s3Get(cloud, lake, 'in/f.csv')).toEqual(Buffer.from('same bytes'));
    expect(await s3Keys(cloud, landing)).toEqual([]);
  });

  it('a notification repeated while the delivery stands is a duplicate: no copy, no write', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const lake = await s3Bucket(cloud, 'lake');
    const c = await open(`src,${landing},\\.csv$,lake,${lake},,copy\n`);
    await s3Put(cloud, landing, 'd.csv', 'dup');
    expect((await c.router.route(event('src', landing, 'd.csv'))).outcome).toBe('routed');
    const writes: string[] = [];
    c.stores.register('lake', spyWrites(await c.stores.storeFor('lake'), writes));
    expect((await c.router.route(event('src', landing, 'd.csv'))).outcome).toBe('duplicate');
    expect(writes).toEqual([]);
  });

  it('a route a→b and b→a allowed as a cycle: refused with E_ROUTING_LOOP once the file is back, never lost', async () => {
    const a = await s3Bucket(cloud, 'a');
    const b = await s3Bucket(cloud, 'b');
    const c = await open(`src,${a},\\.csv$,lake,${b},,move,true\nlake,${b},\\.csv$,src,${a},,move,true\n`, {
      header: `${HEADER},allow_cycle`,
    });
    await s3Put(cloud, a, 'c.csv', 'cycle');
    expect((await c.router.route(event('src', a, 'c.csv'))).outcome).toBe('routed');
    expect((await c.router.route(event('lake', b, 'c.csv'))).outcome).toBe('routed');
    const looped = await c.router.route(event('src', a, 'c.csv'));
    expect(looped.outcome).toBe('dead');
    expect(looped.deliveries.map((d) => d.error?.code)).toEqual(['E_ROUTING_LOOP']);
    expect(await s3Keys(cloud, a)).toEqual(['c.csv']);
    expect(await s3Keys(cloud, b)).toEqual([]);
    expect(await s3Get(cloud, a, 'c.csv')).toEqual(Buffer.from('cycle'));
  });

  it('a row whose destination is its source, were validate bypassed: E_DESTINATION_IS_SOURCE, the source kept', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const c = await open(`src,${landing},\\.csv$,src,${landing},,move\n`, { bypassValidation: true });
    await s3Put(cloud, landing, 'self.csv', 'mine');
    const result = await c.router.route(event('src', landing, 'self.csv'));
    expect(result.deliveries.map((d) => d.error?.code)).toEqual(['E_DESTINATION_IS_SOURCE']);
    expect(await s3Get(cloud, landing, 'self.csv')).toEqual(Buffer.from('mine'));
  });

  it('landing → landing/archive/: archived once, then left alone by scans and events', async () => {
    const landing = await s3Bucket(cloud, 'landing');
    const c = await open(`src,${landing},\\.csv$,src,${landing},archive,move\n`);
    await s3Put(cloud, landing, 'r.csv', 'report');
    expect(await scan(c, { concurrency: 2 })).toMatchObject({ routed: 1 });
    expect(await s3Keys(cloud, landing)).toEqual(['archive/r.csv']);
    expect((await scan(c, { concurrency: 2 })).outcomes).toEqual({ ignored: 1 });
    expect((await c.router.route(event('src', landing, 'archive/r.csv'))).outcome).toBe('ignored');
    // one put there by hand carries no provenance: its place alone keeps it where it is
    await s3Put(cloud, landing, 'archive/by-hand.csv', 'by hand');
    expect((await c.router.route(event('src', landing, 'archive/by-hand.csv'))).outcome).toBe('ignored');
    expect(await s3Keys(cloud, landing)).toEqual(['archive/by-hand.csv', 'archive/r.csv']);
  });
});

/** `store`, recording every write, copy and rename into `calls`. */
function spyWrites(store: ObjectStore, calls: string[]): ObjectStore {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const fn = (value as (...a: unknown[]) => unknown).bind(target);
      if (property !== 'write' && property !== 'copy' && property !== 'rename') return fn;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return fn(...args);
      };
    },
  });
}
