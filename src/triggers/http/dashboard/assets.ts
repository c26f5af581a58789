import { crypto } from '../../../util/builtins.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PermanentError } from '../../../model/errors.js';
import { PAGE_HTML } from './page.js';
import { DASHBOARD_CSS } from './style.js';

export { PAGE_HTML };

/**
 * The browser script: ./client/ bundled into one file by `npm run build`
 * (scripts/build-dashboard.mjs), shipped in dist/. This module sits three
 * folders below the package root both as src/triggers/http/dashboard/assets.ts (tests)
 * and as dist/triggers/http/dashboard/assets.js (shipped), so one path finds the bundle
 * from either.
 */
export const DASHBOARD_BUNDLE = fileURLToPath(
  new URL('../../../../dist/triggers/http/dashboard/dashboard.js', import.meta.url),
);

export interface Asset {
  body: string;
  type: string;
  etag: string;
}

function asset(body: string, type: string): Asset {
  return {
    body,
    type,
    etag: `"${crypto().createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`,
  };
}

const JS = 'text/javascript; charset=utf-8';
const loaded = new Map<string, Asset>([['dashboard.css', asset(DASHBOARD_CSS, 'text/css; charset=utf-8')]]);

/**
 * The asset served under /assets/NAME (undefined for an unknown name). The
 * script is read from disk on first use and kept; a build without it throws
 * `E_NOT_FOUND` (with the path), and the next request tries again.
 */
export function assetNamed(name: string): Asset | undefined {
  const known = loaded.get(name);
  if (known || name !== 'dashboard.js') return known;
  let body: string;
  try {
    body = readFileSync(DASHBOARD_BUNDLE, 'utf8');
  } catch (error) {
    throw new PermanentError(
      'E_NOT_FOUND',
      `[switchyard] [dashboard] expected the browser script at ${DASHBOARD_BUNDLE} (made by \`npm run build\`), found none`,
      { path: DASHBOARD_BUNDLE },
      { cause: error },
    );
  }
  const script = asset(body, JS);
  loaded.set(name, script);
  return script;
}

/** Scripts and styles from this server only; nothing inline, no framing. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
