/**
 * The dashboard's browser script (bundled into /assets/dashboard.js): loads
 * every panel from `/api/...`, wires the controls, and refreshes the live
 * panels every 15 s while the tab is visible. Marks `body[data-ready]` once
 * the first load finished.
 */
import { saveToken, token } from './api.js';
import { loadDeliveries } from './deliveries.js';
import { byId } from './dom.js';
import { explainBox } from './explain.js';
import { loadFailures, loadUnrouted } from './failures.js';
import { loadFlows, redrawFlows } from './flows.js';
import { loadRoutes } from './routes.js';
import { isMeasure, view } from './state.js';
import { loadSummary } from './summary.js';

const LIVE_EVERY_MS = 15_000;

function refreshAll(): Promise<unknown> {
  return Promise.all([
    loadSummary(),
    loadRoutes(),
    loadFlows(),
    loadDeliveries(false),
    loadFailures(false, refreshAll),
    loadUnrouted(false, refreshAll),
  ]);
}

function refreshLive(): Promise<unknown> {
  return Promise.all([loadSummary(), loadRoutes(), loadFlows()]);
}

function start(): void {
  const tokenInput = byId('token', HTMLInputElement);
  tokenInput.value = token();
  byId('token-form', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    saveToken(tokenInput.value.trim());
    void loadSummary();
  });
  const windowSelect = byId('window', HTMLSelectElement);
  windowSelect.addEventListener('change', () => {
    view.window = windowSelect.value;
    void refreshLive();
  });
  byId('refresh', HTMLButtonElement).addEventListener('click', () => void refreshAll());

  const measures = Array.from(document.querySelectorAll<HTMLButtonElement>('#measure button'));
  for (const button of measures) {
    button.addEventListener('click', () => {
      const measure = button.getAttribute('data-measure');
      if (!isMeasure(measure)) return;
      view.measure = measure;
      for (const b of measures) b.className = b === button ? 'on' : '';
      redrawFlows();
    });
  }

  byId('search-form', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    view.search = byId('search', HTMLInputElement).value.trim();
    view.states = byId('state-filter', HTMLSelectElement).value;
    void loadDeliveries(false);
  });
  byId('deliveries-more', HTMLButtonElement).addEventListener('click', () => void loadDeliveries(true));
  byId('failures-more', HTMLButtonElement).addEventListener(
    'click',
    () => void loadFailures(true, refreshAll),
  );
  byId('unrouted-more', HTMLButtonElement).addEventListener(
    'click',
    () => void loadUnrouted(true, refreshAll),
  );
  byId('explain-form', HTMLFormElement).addEventListener('submit', (event) => void explainBox(event));

  void refreshAll().then(() => document.body.setAttribute('data-ready', 'true'));
  window.setInterval(() => {
    if (!document.hidden) void refreshLive();
  }, LIVE_EVERY_MS);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
