import type { ExplainAnswer, ExplainResultView } from '../api-types.js';
import { api, messageOf, queryString } from './api.js';
import { byId, clear, el } from './dom.js';

/** The explain box: where the typed file name (or PROJECT/BUCKET/KEY) would go, row by row. */
export async function explainBox(event: Event): Promise<void> {
  event.preventDefault();
  const input = byId('explain-input', HTMLInputElement).value.trim();
  const out = clear(byId('explain-result', HTMLElement));
  if (!input) return;
  let answer: ExplainAnswer;
  try {
    answer = await api<ExplainAnswer>(`/api/explain${queryString({ file: input })}`);
  } catch (error) {
    out.appendChild(el('p', { class: 'error', text: messageOf(error) }));
    return;
  }
  if (!answer.results.length) {
    out.appendChild(
      el('p', {
        class: 'explain-result none',
        text: `No row of any source bucket (${answer.sources.join(', ')}) matches this file name: it would stay where it lands, recorded as unrouted.`,
      }),
    );
    return;
  }
  for (const result of answer.results) out.appendChild(resultBox(result));
}

function resultBox(r: ExplainResultView): HTMLDivElement {
  const box = el('div', { class: 'explain-result', 'data-source': r.source }, [
    el('div', {}, [
      el('b', { class: 'mono', text: r.source }),
      ' ',
      el('span', { class: 'muted', text: r.exists ? '(exists)' : '(not there now)' }),
    ]),
  ]);
  if (r.note) box.appendChild(el('div', { class: 'muted', text: r.note }));
  if (!r.matches.length)
    box.appendChild(el('div', { text: 'No row matches: it would be recorded as unrouted.' }));
  const matches = r.matches.map((m) =>
    el('li', { 'data-route': m.route }, [
      el('b', { text: m.route }),
      ` (${m.file}:${m.line}, mask `,
      el('span', { class: 'mono', text: m.mask }),
      ') → ',
      el('span', { class: 'mono destination', text: m.destination }),
      ' ',
      el('span', { class: 'muted', text: `${m.action}, on conflict ${m.onConflict}` }),
    ]),
  );
  const refused = r.refused.map((x) =>
    el('li', { class: 'error' }, `${x.route} refused: ${x.code}: ${x.message}`),
  );
  box.appendChild(el('ul', {}, [...matches, ...refused]));
  return box;
}
