import type { SummaryAnswer } from '../api-types.js';
import { token } from './api.js';
import { byId, select } from './dom.js';
import { age, count, time } from './format.js';
import { view } from './state.js';
import { load } from './toast.js';

/** Sets the value of the summary card `[data-count=NAME]`. */
export function setCard(name: string, value: string): void {
  select(`[data-count="${name}"]`, HTMLElement).textContent = value;
}

/** The cards (counts by state, unrouted files) and whether the token is accepted. */
export async function loadSummary(): Promise<void> {
  const s = await load<SummaryAnswer>('summary', '/api/summary');
  if (!s) return;
  const c = s.counts.byState;
  view.tokenRequired = s.tokenRequired;
  view.authenticated = s.authenticated;
  setCard('done', count(c.done));
  setCard('in-progress', count(c.planned + c.written + c.verified));
  setCard('failed', count(c.failed));
  setCard('dead', count(c.dead));
  setCard('unrouted', count(s.counts.unrouted));
  setCard('oldest-unrouted', s.counts.oldestUnroutedAt ? age(s.now - s.counts.oldestUnroutedAt) : '–');
  setCard('waiting', count(s.waiting.groups));
  setCard('oldest-waiting', s.waiting.oldestAt ? age(s.now - s.waiting.oldestAt) : '–');
  byId('updated', HTMLElement).textContent = `updated ${time(s.now)}`;
  byId('token-state', HTMLElement).textContent = !s.tokenRequired
    ? 'no token configured (loopback)'
    : s.authenticated
      ? 'token accepted'
      : token()
        ? 'token rejected'
        : 'read-only';
}
