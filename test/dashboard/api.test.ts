import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryView } from '../../src/triggers/http/dashboard/api-types.js';
import { DASHBOARD_BUNDLE } from '../../src/triggers/http/dashboard/assets.js';
import { DASHBOARD_TOKEN, openDashboardBed, SAMPLES, type DashboardBed } from './fixture.js';

interface Page {
  items: DeliveryView[];
  nextCursor?: string;
}

describe('dashboard JSON API, served by switchyard serve', () => {
  let bed: DashboardBed;
  const bearer = { authorization: `Bearer ${DASHBOARD_TOKEN}` };
  const get = async <T = Record<string, unknown>>(
    path: string,
    headers: Record<string, string> = bearer,
  ): Promise<{ status: number; json: T; headers: Headers }> => {
    const response = await fetch(`${bed.url}${path}`, { headers });
    return { status: response.status, json: (await response.json()) as T, headers: response.headers };
  };
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${bed.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DASHBOARD_TOKEN}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    bed = await openDashboardBed();
    const results = await bed.routeSamples();
    expect(results.get(SAMPLES.conflict)?.outcome).toBe('dead');
    expect(results.get(SAMPLES.unrouted)?.outcome).toBe('unrouted');
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('serves the page and its assets with a strict content security policy, and a script that parses', async () => {
    const page = await fetch(`${bed.url}/`, { headers: bearer });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('/assets/dashboard.js');
    const script = await fetch(`${bed.url}/assets/dashboard.js`, { headers: bearer });
    expect(script.headers.get('content-type')).toContain('javascript');
    const again = await fetch(`${bed.url}/assets/dashboard.js`, {
      headers: { ...bearer, 'if-none-match': script.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    const bundle = await readFile(DASHBOARD_BUNDLE, 'utf8');
    expect(await script.text()).toBe(bundle);
    expect(() => new Function(bundle)).not.toThrow();
    expect(bundle).not.toMatch(/\b(import|export)\s*[{*]|\brequire\(/);
    const style = await fetch(`${bed.url}/assets/dashboard.css`, { headers: bearer });
    expect(style.headers.get('content-type')).toContain('text/css');
    expect(style.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{16}"$/);
    expect((await fetch(`${bed.url}/assets/nope.js`, { headers: bearer })).status).toBe(404);
    expect((await fetch(`${bed.url}/healthz`)).status).toBe(200);
  });

  it('with a token configured, the page, its assets, the API and /metrics need it (Bearer, or Basic as a browser logs in); /healthz does not', async () => {
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    });
    for (const path of ['/', '/assets/dashboard.js', '/api/summary', '/api/deliveries', '/metrics']) {
      const wrong: Array<Record<string, string>> = [
        {},
        { authorization: 'Bearer wrong' },
        basic('switchyard', 'wrong'),
      ];
      for (const headers of wrong) {
        const refused = await fetch(`${bed.url}${path}`, { headers });
        expect(refused.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(refused.headers.get('www-authenticate')).toBe('Basic realm="switchyard"');
        expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('E_UNAUTHORIZED');
      }
      expect((await fetch(`${bed.url}${path}`, { headers: bearer })).status, path).toBe(200);
      expect(
        (await fetch(`${bed.url}${path}`, { headers: basic('anyone', DASHBOARD_TOKEN) })).status,
        path,
      ).toBe(200);
    }
    expect((await fetch(`${bed.url}/healthz`)).status).toBe(200);
    const summary = await get<{ authenticated: boolean }>('/api/summary', basic('me', DASHBOARD_TOKEN));
    expect(summary.json.authenticated).toBe(true);
  });

  it('summary, routes and flows equal what the ledger holds; the row that matched nothing is listed', async () => {
    const counts = await bed.ctx.reports.counts();
    const summary = await get<{
      counts: typeof counts;
      tokenRequired: boolean;
      authenticated: boolean;
      routes: number;
    }>('/api/summary');
    expect(summary.json).toMatchObject({ counts, tokenRequired: true, authenticated: true, routes: 6 });
    expect(counts.byState).toMatchObject({ done: 5, dead: 1 });
    expect(counts.unrouted).toBe(1);

    const routes = await get<{
      routes: Array<{ id: string; stats: Record<string, number> }>;
      unmatched: string[];
    }>('/api/routes?window=1h');
    const stats = await bed.ctx.reports.routeStats(Date.now() - 3_600_000);
    for (const stat of stats) {
      expect(routes.json.routes.find((r) => r.id === stat.routeId)?.stats).toMatchObject({
        deliveries: stat.deliveries,
        done: stat.done,
        dead: stat.dead,
        bytes: stat.bytes,
      });
    }
    expect(routes.json.routes.find((r) => r.id === 'sales')?.stats.done).toBe(3);
    expect(routes.json.unmatched).toEqual(['never', 'invoices', 'invoice-archive']);

    const flows = await get<{ flows: unknown[] }>('/api/flows?window=all');
    expect(flows.json.flows).toEqual(await bed.ctx.reports.flows());
    expect(flows.json.flows).toContainEqual({
      sourceProject: 'shop',
      sourceBucket: 'landing',
      destinationProject: 'sales',
      destinationBucket: 'raw',
      files: 3,
      bytes: expect.any(Number),
    });
    expect((await get('/api/flows?window=2y')).status).toBe(400);
  });

  it('pages deliveries by keyset cursor, searches by file name, and shows each timeline and checksum', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await get<Page>(`/api/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.json.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.items.map((d) => d.id));
      cursor = page.json.nextCursor;
    } while (cursor && seen.length < 20);
    expect(new Set(seen).size).toBe(6);

    const found = await get<Page>('/api/deliveries?q=SALE_DE');
    expect(found.json.items.map((d) => d.name)).toEqual(['sale_de_002.csv']);
    const sale = found.json.items[0]!;
    expect(sale).toMatchObject({
      state: 'done',
      route: 'sales',
      action: 'move',
      source: 'shop/landing/sale_de_002.csv',
    });
    expect(sale.destination).toMatch(/^sales\/raw\/incoming\/\d{4}\/sale_de_002\.csv$/);
    // a move on one filesystem is a rename: received, then done and source deleted at once
    for (const step of ['received', 'done', 'sourceDeleted'] as const)
      expect(sale.timeline[step]).toBeGreaterThan(0);
    const copy = (await get<Page>('/api/deliveries?q=daily')).json.items[0]!;
    for (const step of ['received', 'written', 'verified', 'done'] as const)
      expect(copy.timeline[step]).toBeGreaterThan(0);
    expect(copy.timeline.sourceDeleted).toBeUndefined();
    expect(copy.crc32c).toBe((await bed.ctx.ledger.get(copy.id))?.crc32c);
    expect(copy.crc32c).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    expect((await get<Page>('/api/deliveries?state=dead')).json.items.map((d) => d.name)).toEqual([
      'fin_q2.csv',
    ]);
    expect((await get<DeliveryView>(`/api/deliveries/${sale.id}`)).json.id).toBe(sale.id);
    expect((await get(`/api/deliveries/nope`)).status).toBe(404);
    expect((await get('/api/deliveries?state=bogus')).status).toBe(400);
    expect((await get('/api/deliveries?cursor=zzz')).status).toBe(400);
  });

  it('lists failures and unrouted files with reasons; retry needs the token and JSON, then routes the file', async () => {
    const failures = await get<Page>('/api/failures');
    expect(failures.json.items).toHaveLength(1);
    const dead = failures.json.items[0]!;
    expect(dead).toMatchObject({ state: 'dead', retryable: true, error: { code: 'E_CONFLICT' } });
    const unrouted = await get<{ items: Array<{ source: string; reason: string }> }>('/api/unrouted');
    expect(unrouted.json.items).toEqual([
      expect.objectContaining({
        source: SAMPLES.unrouted,
        reason: expect.stringContaining('no referential row'),
      }),
    ]);

    expect((await post(`/api/deliveries/${dead.id}/retry`, {}, { authorization: '' })).status).toBe(401);
    expect(
      (await post(`/api/deliveries/${dead.id}/retry`, {}, { authorization: 'Bearer wrong' })).status,
    ).toBe(401);
    expect(
      (await post(`/api/deliveries/${dead.id}/retry`, {}, { 'content-type': 'text/plain' })).status,
    ).toBe(400);
    expect((await bed.ctx.ledger.get(dead.id))?.state).toBe('dead');

    await rm(bed.ws.file(SAMPLES.conflictDestination));
    const retried = await post(`/api/deliveries/${dead.id}/retry`, {});
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ outcome: 'routed', delivery: { id: dead.id, state: 'done' } });
    expect(await bed.ws.exists(SAMPLES.conflictDestination)).toBe(true);
    expect(await bed.ws.exists(SAMPLES.conflict)).toBe(false);
    expect((await post(`/api/deliveries/${dead.id}/retry`, {})).status).toBe(409);
    expect((await get<Page>('/api/failures')).json.items).toEqual([]);

    const again = await post('/api/unrouted/retry', { source: SAMPLES.unrouted });
    expect(again.json).toMatchObject({ outcome: 'unrouted' });
    expect((await post('/api/unrouted/retry', { source: 'shop/landing/../x' })).status).toBe(400);
  });

  it('explains a file name against every source bucket, or one PROJECT/BUCKET/KEY', async () => {
    type Explained = {
      results: Array<{ source: string; matches: Array<{ route: string; destination: string }> }>;
      sources: string[];
    };
    const byName = await get<Explained>('/api/explain?file=sale_nl_9.txt');
    expect(byName.json.results).toHaveLength(1);
    expect(byName.json.results[0]).toMatchObject({
      source: 'shop/landing/sale_nl_9.txt',
      matches: [{ route: 'sales' }],
    });
    expect(byName.json.results[0]!.matches[0]!.destination).toMatch(
      /^sales\/raw\/incoming\/\d{4}\/sale_nl_9\.txt$/,
    );
    const csv = await get<Explained>('/api/explain?file=fin_x.csv');
    expect(csv.json.results.map((r) => r.source).sort()).toEqual([
      'shop/drop/fin_x.csv',
      'shop/landing/fin_x.csv',
    ]);
    const located = await get<Explained>('/api/explain?file=shop/drop/a.csv');
    expect(located.json.results.map((r) => r.matches.map((m) => m.route))).toEqual([['drops']]);
    expect((await get<Explained>('/api/explain?file=nothing.bin')).json.results).toEqual([]);
    expect((await get('/api/explain?file=')).status).toBe(400);
    expect((await get('/api/explain?file=a/../../etc')).status).toBe(400);
  });
});

describe('dashboard with --public-reads', () => {
  let bed: DashboardBed;
  beforeAll(async () => {
    bed = await openDashboardBed({ publicReads: true });
    await bed.routeSamples();
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('reads need no credential; actions and POST /events still do', async () => {
    for (const path of ['/', '/assets/dashboard.js', '/api/summary', '/api/failures', '/metrics'])
      expect((await fetch(`${bed.url}${path}`)).status, path).toBe(200);
    const summary = (await (await fetch(`${bed.url}/api/summary`)).json()) as Record<string, unknown>;
    expect(summary).toMatchObject({ tokenRequired: true, authenticated: false });
    const dead = (await bed.ctx.reports.query({ states: ['dead'] })).items[0]!;
    const retry = await fetch(`${bed.url}/api/deliveries/${dead.id}/retry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(retry.status).toBe(401);
    expect(retry.headers.get('www-authenticate')).toBe('Basic realm="switchyard"');
    const event = await fetch(`${bed.url}/events`, { method: 'POST', body: '{}' });
    expect(event.status).toBe(401);
    expect(event.headers.get('www-authenticate')).toBe('Bearer realm="switchyard"');
  });
});
