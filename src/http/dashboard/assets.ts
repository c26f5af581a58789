import { createHash } from 'node:crypto';
import { CLIENT_CORE } from './client-core.js';
import { CLIENT_FLOWS } from './client-flows.js';
import { CLIENT_MAIN } from './client-main.js';
import { CLIENT_PANELS } from './client-panels.js';
import { PAGE_HTML } from './page.js';
import { DASHBOARD_CSS } from './style.js';

export { PAGE_HTML };

/** The browser script: the four parts in one closure. */
export const DASHBOARD_JS = `(function () {\n'use strict';\n${CLIENT_CORE}${CLIENT_FLOWS}${CLIENT_PANELS}${CLIENT_MAIN}})();\n`;

export interface Asset {
  body: string;
  type: string;
  etag: string;
}

function asset(body: string, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

/** Served under /assets/NAME; embedded in the code so they ship in dist/. */
export const ASSETS: Readonly<Record<string, Asset>> = {
  'dashboard.js': asset(DASHBOARD_JS, 'text/javascript; charset=utf-8'),
  'dashboard.css': asset(DASHBOARD_CSS, 'text/css; charset=utf-8'),
};

/** Scripts and styles from this server only; nothing inline, no framing. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
