import type { Hmac } from 'node:crypto';
import { crypto } from '../../util/builtins.js';
import { sha256Hex } from '../../util/sha256.js';

/** Access key, secret and session token, as the SDK's credential providers resolve them. */
export interface LeanCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What a signature covers of one request. */
export interface SigV4Request {
  method: string;
  /** The path as sent: each segment already escaped (S3 signs it as it is, not escaped twice). */
  path: string;
  query: Readonly<Record<string, string>>;
  /** `host` and `x-amz-content-sha256` (the payload's hash) among them; names in any case, none twice. */
  headers: Readonly<Record<string, string>>;
}

/** Headers no signature covers (the SDK's signer leaves out the same ones). */
const UNSIGNABLE = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);

/** RFC 3986 encoding, as SigV4 escapes a query name or value (and S3 a path segment). */
export function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** `name=value` pairs, escaped, sorted by escaped name: the canonical query string (and the one sent). */
export function canonicalQuery(query: Readonly<Record<string, string>>): string {
  return Object.keys(query)
    .map((name) => [uriEscape(name), uriEscape(query[name]!)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/**
 * AWS Signature Version 4 (`AWS4-HMAC-SHA256`) of S3 requests, in headers:
 * canonical request, string to sign, and the HMAC chain of the secret, the
 * day, the region and the service, made once per day and secret (the
 * SDK's signer, @smithy/signature-v4, computes an HMAC of the credentials
 * for each request only to find that key in its cache, through a promise
 * per step: 316 of 2,485 ms of CPU in a copy of 1,000 small objects). The
 * same signature as the SDK's for every request this client sends:
 * test/storage/s3-sigv4.test.ts compares them on generated requests.
 */
export class SigV4Signer {
  private signingKey: { day: string; secret: string; key: Buffer } | undefined;

  constructor(
    private readonly region: string,
    private readonly service: string,
    private readonly credentials: LeanCredentials | (() => Promise<LeanCredentials>),
  ) {}

  /** `request.headers` with `x-amz-date`, the session token if any, and `authorization` added. */
  async sign(request: SigV4Request, now: Date = new Date()): Promise<Record<string, string>> {
    const credentials = typeof this.credentials === 'function' ? await this.credentials() : this.credentials;
    const longDate = `${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
    const day = longDate.slice(0, 8);
    // names lower-cased, as signed (and sent so: HTTP names are case-insensitive)
    const headers: Record<string, string> = {};
    for (const name of Object.keys(request.headers)) headers[name.toLowerCase()] = request.headers[name]!;
    headers['x-amz-date'] = longDate;
    if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
    const names = Object.keys(headers)
      .filter((name) => !UNSIGNABLE.has(name) && !name.startsWith('proxy-') && !name.startsWith('sec-'))
      .sort();
    let canonicalHeaders = '';
    for (const name of names) canonicalHeaders += `${name}:${headerValue(headers[name]!)}\n`;
    const signedHeaders = names.join(';');
    const canonical = `${request.method}\n${request.path}\n${canonicalQuery(request.query)}\n${canonicalHeaders}\n${signedHeaders}\n${headers['x-amz-content-sha256'] ?? ''}`;
    const scope = `${day}/${this.region}/${this.service}/aws4_request`;
    const toSign = `AWS4-HMAC-SHA256\n${longDate}\n${scope}\n${sha256Hex(canonical)}`;
    const signature = hmac(this.keyFor(day, credentials.secretAccessKey), toSign).digest('hex');
    headers['authorization'] =
      `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }

  /** The signing key of a day and a secret: four HMACs, once per day (or secret, as credentials rotate). */
  private keyFor(day: string, secret: string): Buffer {
    const known = this.signingKey;
    if (known?.day === day && known.secret === secret) return known.key;
    let key = hmac(`AWS4${secret}`, day).digest();
    for (const part of [this.region, this.service, 'aws4_request']) key = hmac(key, part).digest();
    this.signingKey = { day, secret, key };
    return key;
  }
}

/** What headerValue changes: a line break, a tab, two spaces in a row, a space at either end. */
const NEEDS_TIDYING = /[\t\r\n]| {2}|^ | $/;

/** A header's value as signed: line breaks as spaces, runs of spaces and tabs as one, trimmed. */
function headerValue(value: string): string {
  // most values have nothing to change: one test instead of three replacements
  if (!NEEDS_TIDYING.test(value)) return value;
  return value
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
}

function hmac(key: Buffer | string, text: string): Hmac {
  return crypto().createHmac('sha256', key).update(text, 'utf8');
}
