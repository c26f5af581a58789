import { byId } from './dom.js';
import { api, messageOf } from './api.js';

let timer: number | undefined;

/** A message in the corner for 4 s (8 s for an error). */
export function toast(message: string, isError = false): void {
  const box = byId('toast', HTMLElement);
  box.textContent = message;
  box.className = isError ? 'error' : '';
  box.hidden = false;
  window.clearTimeout(timer);
  timer = window.setTimeout(
    () => {
      box.hidden = true;
    },
    isError ? 8000 : 4000,
  );
}

/**
 * GETs `path` for a panel; on failure toasts `what: reason` and answers
 * undefined, so the panel keeps what it shows.
 */
export async function load<T>(what: string, path: string): Promise<T | undefined> {
  try {
    return await api<T>(path);
  } catch (error) {
    toast(`${what}: ${messageOf(error)}`, true);
    return undefined;
  }
}
