import type { DeliveriesPage, DeliveryView, RetryAnswer, UnroutedPage, UnroutedView } from '../api-types.js';
import { api, messageOf, queryString, token } from './api.js';
import { byId, clear, el, tableBody } from './dom.js';
import { badge, deliveryRow } from './deliveries.js';
import { bytes, clip, time } from './format.js';
import { view } from './state.js';
import { load, toast } from './toast.js';

/** What to do once an action changed something: the whole page is loaded again. */
export type AfterAction = () => Promise<unknown>;

/**
 * A button that POSTs `body` to `path` (an action: the token is needed when
 * the server has one, from the token box or the browser's login), says what
 * came of it, then calls `after`.
 */
function retryButton(label: string, path: string, body: object, after: AfterAction): HTMLButtonElement {
  const button = el('button', { type: 'button', class: 'retry', text: label });
  button.addEventListener('click', () => {
    // logged in (the browser sends the token as HTTP Basic) or a token entered: the server judges it
    if (view.tokenRequired && !view.authenticated && !token()) {
      toast('Enter the token first: retrying needs it.', true);
      byId('token', HTMLInputElement).focus();
      return;
    }
    button.disabled = true;
    void retry(button, path, body, after);
  });
  return button;
}

async function retry(
  button: HTMLButtonElement,
  path: string,
  body: object,
  after: AfterAction,
): Promise<void> {
  let answer: RetryAnswer;
  try {
    answer = await api<RetryAnswer>(path, { method: 'POST', body });
  } catch (error) {
    button.disabled = false;
    toast(`Retry refused: ${messageOf(error)}`, true);
    return;
  }
  const now = answer.delivery ? ` (delivery is now ${answer.delivery.state})` : '';
  const error = answer.error ? ` — ${answer.error.code}: ${answer.error.message}` : '';
  toast(`Retried: ${answer.outcome}${now}${error}`, Boolean(answer.error));
  await after();
}

/** Failed deliveries (retried on their own later) and dead letters (a button retries them now). */
export async function loadFailures(more: boolean, after: AfterAction): Promise<void> {
  if (!more) view.failuresCursor = null;
  const path = `/api/failures${queryString({ cursor: more ? view.failuresCursor : null })}`;
  const page = await load<DeliveriesPage>('failures', path);
  if (!page) return;
  const body = tableBody('failures');
  if (!more) clear(body);
  for (const d of page.items) {
    body.appendChild(
      deliveryRow(d, [
        el('td', { text: time(d.updatedAt) }),
        el('td', { class: 'mono nowrap', title: d.source, text: d.name }),
        el('td', { text: d.route }),
        el('td', { class: 'nowrap' }, [
          badge(d.state),
          ' ',
          el('span', { class: 'muted', text: `${d.attempts}×` }),
        ]),
        el('td', {
          class: 'error',
          title: d.error ? d.error.message : '',
          text: d.error ? `${d.error.code}: ${clip(d.error.message, 160)}` : '',
        }),
        el('td', {}, failureAction(d, after)),
      ]),
    );
  }
  if (!body.rows.length) body.appendChild(emptyRow(6, 'No failures.'));
  view.failuresCursor = page.nextCursor ?? null;
  byId('failures-more', HTMLElement).hidden = !view.failuresCursor;
}

/** A dead letter's retry button; a failed delivery's next attempt. */
function failureAction(d: DeliveryView, after: AfterAction): HTMLElement | null {
  if (d.retryable) {
    return retryButton('Retry', `/api/deliveries/${encodeURIComponent(d.id)}/retry`, {}, after);
  }
  if (d.state === 'failed' && d.timeline.nextAttempt) {
    return el('span', { class: 'muted', text: `next ${time(d.timeline.nextAttempt).slice(11, 19)}` });
  }
  return null;
}

/** Files no row of their source bucket matches, each with a button to route it again. */
export async function loadUnrouted(more: boolean, after: AfterAction): Promise<void> {
  if (!more) view.unroutedCursor = null;
  const path = `/api/unrouted${queryString({ cursor: more ? view.unroutedCursor : null })}`;
  const page = await load<UnroutedPage>('unrouted files', path);
  if (!page) return;
  const body = tableBody('unrouted');
  if (!more) clear(body);
  for (const u of page.items) body.appendChild(unroutedRow(u, after));
  if (!body.rows.length) body.appendChild(emptyRow(5, 'No unrouted files.'));
  view.unroutedCursor = page.nextCursor ?? null;
  byId('unrouted-more', HTMLElement).hidden = !view.unroutedCursor;
}

function unroutedRow(u: UnroutedView, after: AfterAction): HTMLTableRowElement {
  return el('tr', { 'data-unrouted': u.source }, [
    el('td', { text: time(u.lastSeenAt) }),
    el('td', { class: 'mono', title: `first seen ${time(u.firstSeenAt)}`, text: u.source }),
    el('td', { class: 'num', text: bytes(u.size) }),
    el('td', { class: 'muted', text: u.reason }),
    el('td', {}, retryButton('Route again', '/api/unrouted/retry', { source: u.source }, after)),
  ]);
}

function emptyRow(columns: number, text: string): HTMLTableRowElement {
  return el('tr', {}, el('td', { colspan: columns, class: 'muted', text }));
}
