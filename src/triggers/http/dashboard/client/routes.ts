import type { OtherRouteView, RoutesAnswer, RouteView } from '../api-types.js';
import { queryString } from './api.js';
import { byId, clear, el, tableBody } from './dom.js';
import { bytes, count, shortTime, time } from './format.js';
import { view } from './state.js';
import { setCard } from './summary.js';
import { load } from './toast.js';

/** The referential, each row with what it matched in the window; rows that matched nothing stand out. */
export async function loadRoutes(): Promise<void> {
  const r = await load<RoutesAnswer>('referential', `/api/routes${queryString({ window: view.window })}`);
  if (!r) return;
  const body = clear(tableBody('routes'));
  for (const route of r.routes) body.appendChild(routeRow(route, r.now));
  for (const stat of r.others) body.appendChild(otherRow(stat, r.now));
  setCard('idle-routes', count(r.unmatched.length));
  byId('routes-caption', HTMLElement).textContent =
    `${r.routes.length} rows, ${r.unmatched.length} matched nothing in the window`;
}

function routeRow(route: RouteView, now: number): HTMLTableRowElement {
  const st = route.stats;
  const idle = st.deliveries === 0;
  return el('tr', { class: idle ? 'idle' : null, 'data-route': route.id }, [
    el('td', { title: `${route.file}:${route.line}` }, [
      route.id,
      route.enabled ? null : el('span', { class: 'badge', text: 'disabled' }),
    ]),
    el('td', {}, [
      el('div', { class: 'mono', text: route.source }),
      el('div', { class: 'mono muted', title: 'mask (RE2, searched in the file name)', text: route.mask }),
    ]),
    el('td', {
      class: 'mono',
      title: `${route.action}, on conflict: ${route.onConflict}`,
      text: route.destination,
    }),
    el(
      'td',
      { class: 'num', 'data-col': 'matched' },
      idle ? el('span', { class: 'badge idle', text: 'no match' }) : count(st.deliveries),
    ),
    el('td', { class: 'num', 'data-col': 'done', text: count(st.done) }),
    el('td', { class: 'num', 'data-col': 'failed', text: count(st.failed) }),
    el('td', { class: 'num', 'data-col': 'dead', text: count(st.dead) }),
    el('td', { class: 'num', text: bytes(st.bytes) }),
    el('td', {
      class: 'nowrap',
      title: st.lastAt ? time(st.lastAt) : '',
      text: st.lastAt ? shortTime(st.lastAt, now) : '',
    }),
  ]);
}

/** A route id the ledger knows and the current referential does not. */
function otherRow(st: OtherRouteView, now: number): HTMLTableRowElement {
  return el('tr', { 'data-route': st.routeId, title: 'not a row of the current referential' }, [
    el('td', { class: 'muted', text: st.routeId }),
    el('td'),
    el('td', { class: 'muted', text: '(not in the referential)' }),
    el('td', { class: 'num', 'data-col': 'matched', text: count(st.deliveries) }),
    el('td', { class: 'num', text: count(st.done) }),
    el('td', { class: 'num', text: count(st.failed) }),
    el('td', { class: 'num', text: count(st.dead) }),
    el('td', { class: 'num', text: bytes(st.bytes) }),
    el('td', { class: 'nowrap', text: st.lastAt ? shortTime(st.lastAt, now) : '' }),
  ]);
}
