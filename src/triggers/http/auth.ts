import type { MiddlewareHandler } from 'hono';
import type { JSONWebKeySet } from 'jose';
import { jsonError } from './errors.js';
import { localKeys, remoteKeys, type OidcKeys } from './oidc-keys.js';
import { crypto } from '../../util/builtins.js';

export { GOOGLE_JWKS_URL, loadJwks } from './oidc-keys.js';

export const GOOGLE_ISSUER = 'https://accounts.google.com';

/**
 * Verifies Pub/Sub push's Google-signed OIDC tokens, against Google's keys
 * fetched from `jwksUrl` (Google's by default) and cached, or against a key
 * set in hand (`jwks`, from a file on an air-gapped host).
 */
export interface OidcOptions {
  audience: string;
  issuer?: string;
  /** When set, the token's `email` claim must equal it and `email_verified` be true. */
  serviceAccountEmail?: string;
  /** Where the keys are fetched when no `jwks` is given. Default: GOOGLE_JWKS_URL. */
  jwksUrl?: string;
  /** Least time between two fetches of `jwksUrl` (default 30 s). */
  jwksCooldownMs?: number;
  /** A key set in hand instead of fetching one. */
  jwks?: JSONWebKeySet;
  /**
   * Reads `jwks` again (Google rotates its signing keys): called when a
   * token names a key the set lacks, at most once a minute.
   */
  reload?: () => Promise<JSONWebKeySet>;
}

export interface AuthOptions {
  /** Shared secret: `Authorization: Bearer TOKEN`, or HTTP Basic with TOKEN as the password (SNS endpoint URLs). */
  token?: string;
  oidc?: OidcOptions;
}

export type AuthResult = { ok: true; principal: string } | { ok: false; reason: string };

/**
 * Checks a request's credential. With both a token and OIDC configured,
 * either is accepted. With neither, `configured` is false and every request
 * passes: the server then listens on a loopback address only.
 */
export interface Authenticator {
  readonly configured: boolean;
  /** `bearer token`, `Pub/Sub OIDC token`, both, or `none` (for logs). */
  readonly description: string;
  verify(authorization: string | undefined): Promise<AuthResult>;
}

export function createAuthenticator(options: AuthOptions = {}): Authenticator {
  const token = options.token ? digest(options.token) : undefined;
  const oidc = options.oidc;
  const keys = oidc ? keysOf(oidc) : undefined;
  const kinds = [token ? 'bearer token' : '', oidc ? 'Pub/Sub OIDC token' : ''].filter(Boolean);
  return {
    configured: kinds.length > 0,
    description: kinds.length ? kinds.join(' or ') : 'none',
    async verify(authorization) {
      if (kinds.length === 0) return { ok: true, principal: 'anonymous (loopback)' };
      const credential = parseAuthorization(authorization);
      if (!credential) return { ok: false, reason: 'missing or malformed Authorization header' };
      if (token && crypto().timingSafeEqual(digest(credential.secret), token))
        return { ok: true, principal: 'token' };
      if (oidc && keys && credential.scheme === 'bearer' && looksLikeJwt(credential.secret)) {
        return verifyOidc(credential.secret, oidc, keys);
      }
      return { ok: false, reason: 'invalid credential' };
    },
  };
}

/**
 * The scheme a 401 invites: `Bearer` for notification senders; `Basic` where
 * people read (dashboard, API, metrics), so a browser asks for a login: the
 * token is the password, any user name.
 */
export type Challenge = 'Bearer' | 'Basic';

/** Hono middleware answering 401 `E_UNAUTHORIZED` (with `WWW-Authenticate`) when the credential is missing or wrong. */
export function requireAuth(auth: Authenticator, challenge: Challenge = 'Bearer'): MiddlewareHandler {
  return async (c, next) => {
    const result = await auth.verify(c.req.header('authorization'));
    if (!result.ok) {
      c.header('WWW-Authenticate', `${challenge} realm="switchyard"`);
      return jsonError(c, 401, 'E_UNAUTHORIZED', `[switchyard] [http] ${result.reason}`);
    }
    await next();
  };
}

/**
 * What reading (the dashboard, `/api/*`, `/metrics`) needs: the server's
 * credential once one is configured, asked for with a Basic challenge;
 * nothing when `publicReads` opens them (or when none is configured: the
 * server then listens on a loopback address only).
 */
export function requireReader(auth: Authenticator, publicReads = false): MiddlewareHandler {
  if (publicReads) return async (_c, next) => next();
  return requireAuth(auth, 'Basic');
}

function keysOf(oidc: OidcOptions): OidcKeys {
  if (oidc.jwks) return localKeys(oidc.jwks, oidc.reload);
  return remoteKeys({
    ...(oidc.jwksUrl !== undefined ? { url: oidc.jwksUrl } : {}),
    ...(oidc.jwksCooldownMs !== undefined ? { cooldownMs: oidc.jwksCooldownMs } : {}),
  });
}

async function verifyOidc(jwt: string, oidc: OidcOptions, keys: OidcKeys): Promise<AuthResult> {
  try {
    const payload = await keys.verify(jwt, {
      issuer: oidc.issuer ?? GOOGLE_ISSUER,
      audience: oidc.audience,
      algorithms: ['RS256'],
      clockTolerance: 30,
    });
    if (oidc.serviceAccountEmail) {
      if (payload.email !== oidc.serviceAccountEmail)
        return { ok: false, reason: 'OIDC token email is not the configured service account' };
      if (payload.email_verified !== true) return { ok: false, reason: 'OIDC token email is not verified' };
    }
    return {
      ok: true,
      principal: typeof payload.email === 'string' ? payload.email : String(payload.sub ?? 'oidc'),
    };
  } catch (error) {
    return {
      ok: false,
      reason: `OIDC token rejected: ${(error as { code?: string }).code ?? (error as Error).message}`,
    };
  }
}

function parseAuthorization(
  header: string | undefined,
): { scheme: 'bearer' | 'basic'; secret: string } | undefined {
  if (!header) return undefined;
  const match = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(header);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase() as 'bearer' | 'basic';
  const value = match[2]!;
  if (scheme === 'bearer') return { scheme, secret: value };
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : { scheme, secret: decoded.slice(colon + 1) };
}

function looksLikeJwt(value: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value);
}

/** Fixed-length digests, so the comparison takes the same time whatever the candidate's length. */
function digest(secret: string): Buffer {
  return crypto().createHash('sha256').update(secret, 'utf8').digest();
}
