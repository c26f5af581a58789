import type { DeliveriesPage, DeliveryView } from '../api-types.js';
import { queryString } from './api.js';
import { byId, clear, el, tableBody } from './dom.js';
import { bytes, count, time } from './format.js';
import { view } from './state.js';
import { load } from './toast.js';

/** How many deliveries a page asks for (the server's default). */
const PAGE = 50;

export function badge(state: string): HTMLSpanElement {
  return el('span', { class: `badge ${state}`, text: state });
}

/** A delivery's row: a click (not on its buttons) opens or closes its details below it. */
export function deliveryRow(d: DeliveryView, cells: readonly HTMLTableCellElement[]): HTMLTableRowElement {
  const row = el('tr', { class: 'clickable', 'data-delivery': d.id, title: 'show the timeline' }, cells);
  row.addEventListener('click', (event) => {
    if (event.target instanceof HTMLButtonElement) return;
    const next = row.nextElementSibling;
    if (next instanceof HTMLTableRowElement && next.className === 'detail') {
      next.remove();
      return;
    }
    row.after(el('tr', { class: 'detail' }, el('td', { colspan: row.cells.length }, details(d))));
  });
  return row;
}

type Step = 'received' | 'written' | 'verified' | 'done' | 'source deleted';

/** The timeline (each step's instant, or why it has none) and the delivery's facts. */
function details(d: DeliveryView): HTMLElement[] {
  const t = d.timeline;
  const steps: Array<[Step, number | undefined]> = [
    ['received', t.received],
    ['written', t.written],
    ['verified', t.verified],
    ['done', t.done],
    ['source deleted', d.action === 'move' ? t.sourceDeleted : undefined],
  ];
  const line = el(
    'div',
    { class: 'timeline' },
    steps.map(([step, at]) =>
      el('div', { class: at ? 'step' : 'step missing', 'data-step': step }, [
        el('b', { text: step }),
        at ? time(at) : missingStep(step, d),
      ]),
    ),
  );
  const kv = el('div', { class: 'kv' }, [
    el('span', { text: 'source' }),
    el('span', { class: 'mono', text: `${d.source} (generation ${d.generation})` }),
    el('span', { text: 'destination' }),
    el('span', { class: 'mono', text: d.destination }),
    el('span', { text: 'crc32c' }),
    el('span', {
      class: 'mono',
      'data-field': 'crc32c',
      text: d.crc32c || (t.done ? 'not computed (no bytes read)' : '—'),
    }),
    el('span', { text: 'size' }),
    el('span', { text: `${count(d.size)} bytes` }),
    el('span', { text: 'attempts' }),
    el('span', { text: `${d.attempts}${t.nextAttempt ? `, next at ${time(t.nextAttempt)}` : ''}` }),
    el('span', { text: 'delivery id' }),
    el('span', { class: 'mono', text: d.id }),
  ]);
  if (d.error) {
    kv.append(
      el('span', { text: 'reason' }),
      el('span', { class: 'error', text: `${d.error.code}: ${d.error.message}` }),
    );
  }
  return [line, kv];
}

/** A copy keeps its source; a rename (one filesystem) writes and verifies with done. */
function missingStep(step: Step, d: DeliveryView): string {
  if (step === 'source deleted' && d.action !== 'move') return 'kept (copy)';
  if ((step === 'written' || step === 'verified') && d.timeline.done) return 'with done';
  return '—';
}

/** Recent deliveries, newest first, filtered by the search box; `more` adds the next page. */
export async function loadDeliveries(more: boolean): Promise<void> {
  if (!more) view.cursor = null;
  const params = { q: view.search, state: view.states, cursor: more ? view.cursor : null };
  const page = await load<DeliveriesPage>('deliveries', `/api/deliveries${queryString(params)}`);
  if (!page) return;
  const body = tableBody('deliveries');
  if (!more) clear(body);
  for (const d of page.items) {
    body.appendChild(
      deliveryRow(d, [
        el('td', { text: time(d.updatedAt) }),
        el('td', { class: 'mono', title: d.source, text: d.name }),
        el('td', { text: d.route }),
        el('td', { class: 'mono', text: d.destination }),
        el('td', {}, badge(d.state)),
        el('td', { class: 'num', text: bytes(d.size) }),
      ]),
    );
  }
  view.cursor = page.nextCursor ?? null;
  byId('deliveries-more', HTMLElement).hidden = !view.cursor;
  let note = '';
  if (view.search && view.cursor && page.items.length < PAGE) {
    note = `Each search page looks at ${count(page.scanLimit)} deliveries, newest first; "Load more" searches older ones.`;
  }
  if (!body.rows.length && !view.cursor) note = view.search ? 'No delivery matches.' : 'No deliveries yet.';
  byId('deliveries-note', HTMLElement).textContent = note;
}
