// The dashboard in a real browser (Debian's Chromium driven by playwright-core):
// what the page shows equals the ledger, a dead letter is retried with the
// token from the page, the explain box answers. Screenshots go to test-results/.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
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
    let profile: string;
    let browser: BrowserContext;
    let page: Page;

    const shot = (name: string, fullPage = false) =>
      page.screenshot({ path: path.join(RESULTS, name), fullPage });
    const cardValue = async (name: string) =>
      (await page.locator(`[data-count="${name}"]`).textContent())?.trim();

    beforeAll(async () => {
      await mkdir(RESULTS, { recursive: true });
      bed = await openDashboardBed();
      await bed.routeSamples();
      await bed.routeExtras(60);
      profile = await mkdtemp(path.join(tmpdir(), 'switchyard-chromium-'));
      browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ARGS,
        viewport: { width: 1280, height: 800 },
      });
      page = await browser.newPage();
      await page.goto(bed.url);
      await page.locator('body[data-ready="true"]').waitFor({ timeout: 20_000 });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
      await bed?.close();
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

    it('retries a dead letter with the token from the page, and it becomes done', async () => {
      const dead = (await bed.ctx.reports.query({ states: ['dead'] })).items;
      expect(dead).toHaveLength(1);
      const id = dead[0]!.id;
      const button = page.locator(`#failures tr[data-delivery="${id}"] button.retry`);
      expect(await page.locator(`#failures tr[data-delivery="${id}"]`).textContent()).toContain('E_CONFLICT');

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
}
