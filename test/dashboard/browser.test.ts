// The dashboard in a real browser (Debian's Chromium driven by playwright-core):
// the server has a token, so the browser logs in with it (HTTP Basic, the
// token as the password) and one without it is asked to; what the page shows
// equals the ledger, a dead letter is retried, the explain box answers. With
// --public-reads the page opens without a login and a retry takes the token
// typed in the page. Screenshots go to test-results/.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../helpers/services.js';
import { DASHBOARD_TOKEN, openDashboardBed, SAMPLES, type DashboardBed } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const RESULTS = path.resolve('test-results');

if (requireService('Chromium', existsSync(CHROMIUM), `${CHROMIUM} not found (apt-get install chromium)`)) {
  describe('dashboard in Chromium', () => {
    let bed: DashboardBed;
    let browser: Browser;
    let page: Page;
    const viewport = { width: 1280, height: 800 };

    const shot = (name: string, fullPage = false) =>
      page.screenshot({ path: path.join(RESULTS, name), fullPage });
    const cardValue = async (name: string) =>
      (await page.locator(`[data-count="${name}"]`).textContent())?.trim();

    beforeAll(async () => {
      await mkdir(RESULTS, { recursive: true });
      bed = await openDashboardBed();
      await bed.routeSamples();
      await bed.routeExtras(60);
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
      const loggedIn = await browser.newContext({
        viewport,
        httpCredentials: { username: 'operator', password: DASHBOARD_TOKEN },
      });
      page = await loggedIn.newPage();
      await page.goto(bed.url);
      await page.locator('body[data-ready="true"]').waitFor({ timeout: 20_000 });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await bed?.close();
    });

    it('asks a browser without the token to log in: 401 with a Basic challenge; a wrong token is refused', async () => {
      for (const httpCredentials of [undefined, { username: 'operator', password: 'not-the-token' }]) {
        const stranger = await browser.newContext({
          viewport,
          ...(httpCredentials ? { httpCredentials } : {}),
        });
        try {
          const page = await stranger.newPage();
          const challenged = page.waitForResponse((r) => r.url() === `${bed.url}/`);
          // with no credential Chromium gives up on the challenge; with a wrong one it shows the 401
          const navigated: Response | null | Error = await page
            .goto(bed.url)
            .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
          if (navigated instanceof Error) expect(navigated.message).toMatch(/ERR_INVALID_AUTH_CREDENTIALS/);
          else expect(navigated?.status()).toBe(401);
          const answer = await challenged;
          expect(answer.status()).toBe(401);
          expect(await answer.headerValue('www-authenticate')).toBe('Basic realm="switchyard"');
        } finally {
          await stranger.close();
        }
      }
    });

    it('shows the counts, match counts per row and flows the ledger holds', async () => {
      const counts = await bed.ctx.reports.counts();
      expect(await cardValue('done')).toBe(counts.byState.done.toLocaleString('en-US'));
      expect(await cardValue('dead')).toBe(String(counts.byState.dead));
      expect(await cardValue('failed')).toBe(String(counts.byState.failed));
      expect(await cardValue('unrouted')).toBe(String(counts.unrouted));
      expect(counts.byState.done).toBeGreaterThan(60);

      const stats = await bed.ctx.reports.routeStats(Date.now() - 86_400_000);
      for (const stat of stats) {
        const row = page.locator(`#routes tr[data-route="${stat.routeId}"]`);
        expect(await row.locator('[data-col="matched"]').textContent()).toBe(
          stat.deliveries.toLocaleString('en-US'),
        );
        expect(await row.locator('[data-col="done"]').textContent()).toBe(stat.done.toLocaleString('en-US'));
      }
      await expect.poll(() => page.locator('#routes tr.idle').getAttribute('data-route')).toBe('never');
      expect(await cardValue('idle-routes')).toBe('1');
      const flows = await bed.ctx.reports.flows(Date.now() - 86_400_000);
      expect(await page.locator('#flows path.link').count()).toBe(flows.length);
      expect(await page.locator('#flows [data-node="shop/landing"]').count()).toBe(1);
      await shot('dashboard.png');
      await shot('dashboard-full.png', true);
    });

    it('searches deliveries by file name and opens a timeline with its checksum', async () => {
      await page.fill('#search', 'export_');
      await page.click('#search-form button[type="submit"]');
      await expect
        .poll(async () =>
          (await page.locator('#deliveries tbody tr').allTextContents()).every((t) => t.includes('export_')),
        )
        .toBe(true);
      const rows = page.locator('#deliveries tbody tr[data-delivery]');
      expect(await rows.count()).toBe(15);
      await rows.first().click();
      const detail = page.locator('#deliveries tr.detail');
      const id = await rows.first().getAttribute('data-delivery');
      const record = await bed.ctx.ledger.get(id!);
      expect(await detail.locator('[data-field="crc32c"]').textContent()).toBe(record!.crc32c);
      for (const step of ['received', 'written', 'verified', 'done']) {
        expect(await detail.locator(`[data-step="${step}"]`).textContent()).toMatch(
          /\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/,
        );
      }
      expect(await detail.locator('[data-step="source deleted"]').textContent()).toContain('kept (copy)');
      await shot('dashboard-search.png', true);
    });

    it('retries a dead letter as the logged-in user (the login is the token), and it becomes done', async () => {
      await expect.poll(() => page.locator('#token-state').textContent()).toBe('token accepted');
      const dead = (await bed.ctx.reports.query({ states: ['dead'] })).items;
      expect(dead).toHaveLength(1);
      const id = dead[0]!.id;
      expect(await page.locator(`#failures tr[data-delivery="${id}"]`).textContent()).toContain('E_CONFLICT');

      await rm(bed.ws.file(SAMPLES.conflictDestination));
      await page.locator(`#failures tr[data-delivery="${id}"] button.retry`).click();
      await expect.poll(async () => (await bed.ctx.ledger.get(id))?.state, { timeout: 15_000 }).toBe('done');
      await expect
        .poll(() => page.locator('#failures tbody').textContent(), { timeout: 15_000 })
        .toContain('No failures.');
      await expect.poll(() => cardValue('dead')).toBe('0');
      expect(await bed.ws.exists(SAMPLES.conflictDestination)).toBe(true);
    });

    it('explains where a file name would go', async () => {
      await page.fill('#explain-input', 'inv_globex_77.pdf');
      await page.click('#explain-button');
      const result = page.locator('.explain-result[data-source="partners/invoices/inv_globex_77.pdf"]');
      await result.waitFor();
      expect(await result.locator('li[data-route="invoices"] .destination').textContent()).toMatch(
        /^finance\/invoices\/globex\/\d{4}\/\d\d\/inv_globex_77\.pdf$/,
      );
      expect(await result.locator('li[data-route="invoice-archive"] .destination').textContent()).toBe(
        'archive/cold/invoices/inv_globex_77.pdf',
      );
      await page.locator('#explain-panel').scrollIntoViewIfNeeded();
      await shot('dashboard-explain.png');
    });
  });

  describe('dashboard in Chromium with --public-reads', () => {
    let bed: DashboardBed;
    let browser: Browser;

    beforeAll(async () => {
      bed = await openDashboardBed({ publicReads: true });
      await bed.routeSamples();
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await bed?.close();
    });

    it('opens without a login; a retry waits for the token typed in the page, then the dead letter becomes done', async () => {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      const answer = await page.goto(bed.url);
      expect(answer?.status()).toBe(200);
      await page.locator('body[data-ready="true"]').waitFor({ timeout: 20_000 });
      expect(await page.locator('#token-state').textContent()).toBe('read-only');
      const dead = (await bed.ctx.reports.query({ states: ['dead'] })).items;
      expect(dead).toHaveLength(1);
      const id = dead[0]!.id;
      const button = page.locator(`#failures tr[data-delivery="${id}"] button.retry`);

      await button.click();
      await expect.poll(() => page.locator('#toast').textContent()).toContain('Enter the token');
      expect((await bed.ctx.ledger.get(id))?.state).toBe('dead');

      await page.fill('#token', DASHBOARD_TOKEN);
      await page.click('#token-form button[type="submit"]');
      await expect.poll(() => page.locator('#token-state').textContent()).toBe('token accepted');
      expect(await page.evaluate('sessionStorage.getItem("switchyard.token")')).toBe(DASHBOARD_TOKEN);

      await rm(bed.ws.file(SAMPLES.conflictDestination));
      await button.click();
      await expect.poll(async () => (await bed.ctx.ledger.get(id))?.state, { timeout: 15_000 }).toBe('done');
      await expect
        .poll(() => page.locator('#failures tbody').textContent(), { timeout: 15_000 })
        .toContain('No failures.');
    });
  });
}
