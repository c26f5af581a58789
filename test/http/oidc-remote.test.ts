import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { authFromConfig, oidcKeySource } from '../../src/modes/event.js';
import { createAuthenticator, GOOGLE_JWKS_URL } from '../../src/triggers/http/auth.js';

const AUDIENCE = 'https://switchyard.example.com/events';
const SERVICE_ACCOUNT = 'pubsub-push@source-bucket-prod.iam.gserviceaccount.com';
const ROUTES =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory\nsource_bucket,raw_data,finance.*\\.csv,finance,raw_data,\n';

type Pair = Awaited<ReturnType<typeof generateKeyPair>>;

async function publicJwk(pair: Pair, kid: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' };
}

function sign(pair: Pair, kid: string, audience = AUDIENCE): Promise<string> {
  return new SignJWT({ email: SERVICE_ACCOUNT, email_verified: true })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer('https://accounts.google.com')
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(pair.privateKey);
}

/** A stand-in for https://www.googleapis.com/oauth2/v3/certs: serves `keys`, counts its requests. */
interface KeyServer {
  url: string;
  keys: JWK[];
  requests: number;
  status: number;
  close(): Promise<void>;
}

async function keyServer(keys: JWK[]): Promise<KeyServer> {
  const state = { keys, requests: 0, status: 200 };
  const server: Server = createServer((_req, res) => {
    state.requests += 1;
    res.writeHead(state.status, { 'content-type': 'application/json' });
    res.end(state.status === 200 ? JSON.stringify({ keys: state.keys }) : '{"error":"unavailable"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/v3/certs`;
  return Object.assign(state, {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as KeyServer;
}

describe('Pub/Sub push OIDC against keys fetched from a URL', () => {
  let google: Pair;
  let rotated: Pair;
  let stranger: Pair;
  let server: KeyServer;
  let dir: string;

  beforeAll(async () => {
    [google, rotated, stranger] = await Promise.all([
      generateKeyPair('RS256'),
      generateKeyPair('RS256'),
      generateKeyPair('RS256'),
    ]);
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-oidc-'));
    await writeFile(path.join(dir, 'routes.csv'), ROUTES);
  });
  beforeEach(async () => {
    await server?.close();
    server = await keyServer([await publicJwk(google, 'k1')]);
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads server.oidc.jwksUrl, fetches the keys on the first token and reuses them', async () => {
    await writeFile(
      path.join(dir, 'switchyard.yaml'),
      `server:\n  oidc:\n    audience: ${AUDIENCE}\n    serviceAccountEmail: ${SERVICE_ACCOUNT}\n    jwksUrl: ${server.url}\n`,
    );
    const config = await loadConfig({ routes: path.join(dir, 'routes.csv') }, {}, dir);
    const auth = await authFromConfig(config);
    expect(server.requests).toBe(0);
    expect(await auth.verify(`Bearer ${await sign(google, 'k1')}`)).toEqual({
      ok: true,
      principal: SERVICE_ACCOUNT,
    });
    expect((await auth.verify(`Bearer ${await sign(google, 'k1')}`)).ok).toBe(true);
    expect((await auth.verify(`Bearer ${await sign(google, 'k1', 'https://elsewhere')}`)).ok).toBe(false);
    expect(server.requests).toBe(1);
  });

  it('fetches again for a key it has not seen (Google rotated its keys), and refuses a stranger', async () => {
    const auth = createAuthenticator({ oidc: { audience: AUDIENCE, jwksUrl: server.url, jwksCooldownMs: 0 } });
    expect((await auth.verify(`Bearer ${await sign(google, 'k1')}`)).ok).toBe(true);
    server.keys = [await publicJwk(google, 'k1'), await publicJwk(rotated, 'k2')];
    expect((await auth.verify(`Bearer ${await sign(rotated, 'k2')}`)).ok).toBe(true);
    expect(server.requests).toBe(2);
    const forged = await auth.verify(`Bearer ${await sign(stranger, 'k1')}`);
    expect(forged).toMatchObject({ ok: false, reason: expect.stringMatching(/signature/i) as unknown });
    const unknown = await auth.verify(`Bearer ${await sign(stranger, 'k9')}`);
    expect(unknown).toMatchObject({ ok: false, reason: expect.stringMatching(/NO_MATCHING_KEY/) as unknown });
  });

  it('refuses every token while the key server fails, and accepts again once it answers', async () => {
    server.status = 503;
    const auth = createAuthenticator({ oidc: { audience: AUDIENCE, jwksUrl: server.url, jwksCooldownMs: 0 } });
    const refused = await auth.verify(`Bearer ${await sign(google, 'k1')}`);
    expect(refused.ok).toBe(false);
    server.status = 200;
    expect((await auth.verify(`Bearer ${await sign(google, 'k1')}`)).ok).toBe(true);
  });
});

describe('where server.oidc takes its keys', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-oidc-src-'));
    await writeFile(path.join(dir, 'routes.csv'), ROUTES);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("defaults to Google's published keys", async () => {
    expect(await oidcKeySource({}, dir)).toEqual({ jwksUrl: GOOGLE_JWKS_URL });
    expect(GOOGLE_JWKS_URL).toBe('https://www.googleapis.com/oauth2/v3/certs');
  });

  it('reads a key file instead for an air-gapped host', async () => {
    await writeFile(path.join(dir, 'keys.json'), JSON.stringify({ keys: [] }));
    const source = await oidcKeySource({ jwksFile: 'keys.json' }, dir);
    expect(source.jwks).toEqual({ keys: [] });
    expect(source.jwksUrl).toBeUndefined();
  });

  it('refuses a config naming both a URL and a file, or a URL that is not http(s)', async () => {
    const load = async (oidc: string) => {
      await writeFile(path.join(dir, 'switchyard.yaml'), `server:\n  oidc:\n    audience: ${AUDIENCE}\n${oidc}`);
      return loadConfig({ routes: path.join(dir, 'routes.csv') }, {}, dir);
    };
    await expect(load('    jwksUrl: https://keys.example.com/certs\n    jwksFile: keys.json\n')).rejects.toThrow(
      /jwksUrl or jwksFile, not both/,
    );
    await expect(load('    jwksUrl: file:///etc/keys.json\n')).rejects.toMatchObject({
      code: 'E_CONFIG_INVALID',
    });
  });
});
