import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { MiddlewareHandler } from 'hono';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { ConfigInvalidError } from '../../model/errors.js';
import { jsonError } from './errors.js';

export const GOOGLE_ISSUER = 'https://accounts.google.com';

/** Verifies Pub/Sub push's Google-signed OIDC tokens offline, against a JWKS read at start. */
export interface OidcOptions {
  audience: string;
  issuer?: string;
  /** When set, the token's `email` claim must equal it and `email_verified` be true. */
  serviceAccountEmail?: string;
  jwks: JSONWebKeySet;
  /**
   * Reads the key set again (Google rotates its signing keys): called when a
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
  const keys = oidc ? new KeySet(oidc) : undefined;
  const kinds = [token ? 'bearer token' : '', oidc ? 'Pub/Sub OIDC token' : ''].filter(Boolean);
  return {
    configured: kinds.length > 0,
    description: kinds.length ? kinds.join(' or ') : 'none',
    async verify(authorization) {
      if (kinds.length === 0) return { ok: true, principal: 'anonymous (loopback)' };
      const credential = parseAuthorization(authorization);
      if (!credential) return { ok: false, reason: 'missing or malformed Authorization header' };
      if (token && timingSafeEqual(digest(credential.secret), token)) return { ok: true, principal: 'token' };
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

/** Reads the JWKS file named by `server.oidc.jwksFile`; throws ConfigInvalidError when it is not a key set. */
export async function loadJwks(file: string): Promise<JSONWebKeySet> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigInvalidError(
      'server.oidc.jwksFile',
      `cannot read JWKS ${file}: ${(error as Error).message}`,
      { path: file },
    );
  }
  if (!value || typeof value !== 'object' || !Array.isArray((value as { keys?: unknown }).keys)) {
    throw new ConfigInvalidError('server.oidc.jwksFile', `${file} is not a JWKS ({"keys": [...]})`, {
      path: file,
    });
  }
  return value as JSONWebKeySet;
}

const RELOAD_INTERVAL_MS = 60_000;

/** The JWKS in use, read again when a token names an unknown key (rate-limited). */
class KeySet {
  private keys: ReturnType<typeof createLocalJWKSet>;
  private reloadedAt = 0;

  constructor(private readonly oidc: OidcOptions) {
    this.keys = createLocalJWKSet(oidc.jwks);
  }

  async verify(jwt: string): Promise<JWTPayload> {
    const options = {
      issuer: this.oidc.issuer ?? GOOGLE_ISSUER,
      audience: this.oidc.audience,
      algorithms: ['RS256'],
      clockTolerance: 30,
    };
    try {
      return (await jwtVerify(jwt, this.keys, options)).payload;
    } catch (error) {
      const unknownKey = (error as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY';
      if (!unknownKey || !this.oidc.reload || Date.now() - this.reloadedAt < RELOAD_INTERVAL_MS) throw error;
      this.reloadedAt = Date.now();
      this.keys = createLocalJWKSet(await this.oidc.reload());
      return (await jwtVerify(jwt, this.keys, options)).payload;
    }
  }
}

async function verifyOidc(jwt: string, oidc: OidcOptions, keys: KeySet): Promise<AuthResult> {
  try {
    const payload = await keys.verify(jwt);
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
  return createHash('sha256').update(secret, 'utf8').digest();
}
