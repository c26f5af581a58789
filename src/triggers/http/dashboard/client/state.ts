import type { FlowView } from '../api-types.js';

export type Measure = 'files' | 'bytes';

/** What the page is showing: its filters, cursors and the flows last loaded. */
export interface ViewState {
  /** A window name the server knows (the `#window` select's values). */
  window: string;
  measure: Measure;
  flows: FlowView[];
  search: string;
  /** Comma-separated states (the `#state-filter` select's values); empty for any. */
  states: string;
  cursor: string | null;
  failuresCursor: string | null;
  unroutedCursor: string | null;
  /** The server wants a token for actions (it has one configured). */
  tokenRequired: boolean;
  /** The page's requests carry an accepted credential: the token box's, or the browser's login (HTTP Basic). */
  authenticated: boolean;
}

export const view: ViewState = {
  window: '24h',
  measure: 'files',
  flows: [],
  search: '',
  states: '',
  cursor: null,
  failuresCursor: null,
  unroutedCursor: null,
  tokenRequired: false,
  authenticated: false,
};

export function isMeasure(value: string | null): value is Measure {
  return value === 'files' || value === 'bytes';
}
