/**
 * The API client: JSON over fetch, with the token (kept in sessionStorage for
 * this tab) as a bearer credential when one was entered.
 */

const TOKEN_KEY = 'switchyard.token';

export function token(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function saveToken(value: string): void {
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage refused: the token lives for this page only
  }
}

/** A refused request: the server's `{"error": {code, message}}`, or its status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiOptions {
  method?: 'GET' | 'POST';
  /** Sent as JSON (with its content type, which actions require). */
  body?: object;
}

/**
 * Calls the dashboard API. The answer is typed by the caller from
 * ../api-types.ts, the contract the server's handlers are typed by; it is not
 * validated again here.
 */
export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const credential = token();
  if (credential) headers.Authorization = `Bearer ${credential}`;
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const json: unknown = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = errorOf(json);
    throw new ApiError(error.message ?? `HTTP ${response.status}`, response.status, error.code);
  }
  return json as T;
}

function errorOf(json: unknown): { code?: string; message?: string } {
  if (typeof json !== 'object' || json === null || !('error' in json)) return {};
  const error: unknown = json.error;
  if (typeof error !== 'object' || error === null) return {};
  return {
    ...('code' in error && typeof error.code === 'string' ? { code: error.code } : {}),
    ...('message' in error && typeof error.message === 'string' && error.message
      ? { message: error.message }
      : {}),
  };
}

/** `?a=1&b=x`: the parameters that have a value, encoded; empty when none has. */
export function queryString(params: Readonly<Record<string, string | null | undefined>>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '')
      parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
