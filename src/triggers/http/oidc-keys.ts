import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import { ConfigInvalidError } from '../../model/errors.js';

/** Where Google publishes the keys that sign Pub/Sub push (and every Google ID token). */
export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';

/** Google's public keys, wherever they come from: verifies a token's signature and claims. */
export interface OidcKeys {
  verify(jwt: string, options: JWTVerifyOptions): Promise<JWTPayload>;
}

export interface RemoteKeysOptions {
  /** Default: GOOGLE_JWKS_URL. */
  url?: string;
  /** Least time between two fetches (a token naming an unknown key fetches again). Default 30 s. */
  cooldownMs?: number;
  /** How long a fetched set is used before it is fetched again. Default 10 min. */
  maxAgeMs?: number;
}

/**
 * Keys fetched over HTTPS and cached: fetched on the first token, again
 * when one names a key the set lacks (Google rotates them), at most once per
 * cooldown, and once the set is older than its maximum age.
 */
export function remoteKeys(options: RemoteKeysOptions = {}): OidcKeys {
  const url = options.url ?? GOOGLE_JWKS_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigInvalidError('server.oidc.jwksUrl', `not a URL: ${JSON.stringify(url)}`, { url });
  }
  const keys = createRemoteJWKSet(parsed, {
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.maxAgeMs ?? 600_000,
  });
  return { verify: async (jwt, verifyOptions) => (await jwtVerify(jwt, keys, verifyOptions)).payload };
}

const RELOAD_INTERVAL_MS = 60_000;

/**
 * A key set in hand (read from a file on an air-gapped host), read again
 * through `reload` when a token names a key it lacks, at most once a minute.
 */
export function localKeys(jwks: JSONWebKeySet, reload?: () => Promise<JSONWebKeySet>): OidcKeys {
  let keys = createLocalJWKSet(jwks);
  let reloadedAt = 0;
  return {
    async verify(jwt, options) {
      try {
        return (await jwtVerify(jwt, keys, options)).payload;
      } catch (error) {
        const unknownKey = (error as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY';
        if (!unknownKey || !reload || Date.now() - reloadedAt < RELOAD_INTERVAL_MS) throw error;
        reloadedAt = Date.now();
        keys = createLocalJWKSet(await reload());
        return (await jwtVerify(jwt, keys, options)).payload;
      }
    },
  };
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
