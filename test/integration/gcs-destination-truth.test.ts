// The destination is the truth, on GCS (the JSON API double): a delivery the
// ledger remembers is looked at where it went; loops and a destination that is
// its source are refused with the source kept. A GCS generation is new on every
// write, so the S3 case of the same bytes coming back under one generation has
// no GCS twin here; test/integration/s3-destination-truth.test.ts and
// test/core/destination-truth.test.ts hold the others.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/util/log.js';
import { openContext, type Context } from '../../src/runtime/context.js';
import { scan } from '../../src/modes/scan.js';
import type { Workspace } from '../helpers/workspace.js';
import {
  bucketName,
  bypassedReferential,
  cloudWorkspace,
  configOf,
  HEADER,
  startCloud,
  type Cloud,
} from './cloud-fixture.js';

describe('the destination is the truth (GCS double)', () => {
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
  const body = (bucket: string, key: string) => cloud.gcs.get(bucket, key)?.body.toString();

  it('a copy whose destination the consumer deleted is delivered again; while it stands, a duplicate rewrites nothing', async () => {
    const landing = bucketName('landing');
    const archive = bucketName('archive');
    const c = await open(`fin,${landing},\\.csv$,arch,${archive},books,copy\n`);
    cloud.gcs.put(landing, 'k.csv', Buffer.from('kept'));
    expect((await c.router.route(event('fin', landing, 'k.csv'))).outcome).toBe('routed');
    const rewrites = cloud.gcs.calls['objects.rewrite'] ?? 0;
    expect((await c.router.route(event('fin', landing, 'k.csv'))).outcome).toBe('duplicate');
    expect(cloud.gcs.calls['objects.rewrite'] ?? 0).toBe(rewrites);
    await (await c.stores.storeFor('arch')).delete(archive, 'books/k.csv');
    expect((await c.router.route(event('fin', landing, 'k.csv'))).outcome).toBe('routed');
    expect(body(archive, 'books/k.csv')).toBe('kept');
    expect(body(landing, 'k.csv')).toBe('kept');
  });

  it('a route a→b and b→a allowed as a cycle: refused with E_ROUTING_LOOP once the file is back, never lost', async () => {
    const a = bucketName('a');
    const b = bucketName('b');
    const c = await open(`fin,${a},\\.csv$,arch,${b},,move,true\narch,${b},\\.csv$,fin,${a},,move,true\n`, {
      header: `${HEADER},allow_cycle`,
    });
    cloud.gcs.put(a, 'c.csv', Buffer.from('cycle'));
    expect((await c.router.route(event('fin', a, 'c.csv'))).outcome).toBe('routed');
    expect((await c.router.route(event('arch', b, 'c.csv'))).outcome).toBe('routed');
    const looped = await c.router.route(event('fin', a, 'c.csv'));
    expect(looped.outcome).toBe('dead');
    expect(looped.deliveries.map((d) => d.error?.code)).toEqual(['E_ROUTING_LOOP']);
    expect(body(a, 'c.csv')).toBe('cycle');
    expect(body(b, 'c.csv')).toBeUndefined();
  });

  it('a row whose destination is its source, were validate bypassed: E_DESTINATION_IS_SOURCE, the source kept', async () => {
    const landing = bucketName('landing');
    const c = await open(`fin,${landing},\\.csv$,fin,${landing},{path},move\n`, { bypassValidation: true });
    cloud.gcs.put(landing, 'eu/self.csv', Buffer.from('mine'));
    const result = await c.router.route(event('fin', landing, 'eu/self.csv'));
    expect(result.deliveries.map((d) => d.error?.code)).toEqual(['E_DESTINATION_IS_SOURCE']);
    expect(body(landing, 'eu/self.csv')).toBe('mine');
  });

  it('landing → landing/archive/: archived once, then left alone by scans and events', async () => {
    const landing = bucketName('landing');
    const c = await open(`fin,${landing},\\.csv$,fin,${landing},archive/{yyyy},move\n`);
    cloud.gcs.put(landing, 'r.csv', Buffer.from('report'));
    expect(await scan(c, { concurrency: 2 })).toMatchObject({ routed: 1 });
    const key = `archive/${new Date().getUTCFullYear()}/r.csv`;
    expect(body(landing, key)).toBe('report');
    expect((await scan(c, { concurrency: 2 })).outcomes).toEqual({ ignored: 1 });
    cloud.gcs.put(landing, 'archive/by-hand.csv', Buffer.from('by hand'));
    expect((await c.router.route(event('fin', landing, 'archive/by-hand.csv'))).outcome).toBe('ignored');
    expect(body(landing, 'archive/by-hand.csv')).toBe('by hand');
    expect(body(landing, key)).toBe('report');
  });
});
