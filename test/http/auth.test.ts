import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { Metrics } from '../../src/observability/metrics.js';
import { createAuthenticator, type Authenticator } from '../../src/triggers/http/auth.js';
import { isLoopback } from '../../src/triggers/http/server.js';
import { silentLogger } from '../../src/util/log.js';
import { openContext } from '../../src/runtime/context.js';
import { authFromConfig, startEventMode } from '../../src/modes/event.js';
import { CSV, fixture, openBed, TOKEN, type Bed } from './harness.js';

const AUDIENCE = 'https://switchyard.example.com/events';
const SERVICE_ACCOUNT = 'pubsub-push@source-bucket-prod.iam.gserviceaccount.com';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

let privateKey: Key;
let strangerKey: Key;
let jwks: { keys: object[] };

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
});

function sign(
  claims: JWTPayload = {},
  options: { key?: Key; issuer?: string; audience?: string; expires?: string | number } = {},
): Promise<string> {
  return new SignJWT({ email: SERVICE_ACCOUNT, email_verified: true, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
    .setIssuer(options.issuer ?? 'https://accounts.google.com')
    .setAudience(options.audience ?? AUDIENCE)
    .setSubject('112233445566778899')
    .setIssuedAt()
    .setExpirationTime(options.expires ?? '5m')
    .sign(options.key ?? privateKey);
}

const oidc = () => ({ audience: AUDIENCE, serviceAccountEmail: SERVICE_ACCOUNT, jwks: jwks as never });

describe('Pub/Sub push OIDC tokens, verified offline against a JWKS', () => {
  let auth: Authenticator;
  beforeAll(() => {
    auth = createAuthenticator({ oidc: oidc() });
  });

  it('accepts a Google-signed token for the audience and service account', async () => {
    expect(await auth.verify(`Bearer ${await sign()}`)).toEqual({ ok: true, principal: SERVICE_ACCOUNT });
  });

  const refused: Array<[string, () => Promise<string>]> = [
    ['another audience', () => sign({}, { audience: 'https://elsewhere.example.com' })],
    ['another issuer', () => sign({}, { issuer: 'https://evil.example.com' })],
    ['another service account', () => sign({ email: 'intruder@example.iam.gserviceaccount.com' })],
    ['an unverified email', () => sign({ email_verified: false })],
    ['an expired token', () => sign({}, { expires: Math.floor(Date.now() / 1000) - 3600 })],
    ['a token signed by another key', () => sign({}, { key: strangerKey })],
    [
      'an unsigned token (alg none)',
      async () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'https://accounts.google.com', aud: AUDIENCE, email: SERVICE_ACCOUNT, email_verified: true, exp: Date.now() / 1000 + 60 })).toString('base64url')}.`,
    ],
    ['a garbled token', async () => 'a.b.c'],
  ];
  for (const [name, token] of refused) {
    it(`refuses ${name}`, async () => {
      const result = await auth.verify(`Bearer ${await token()}`);
      expect(result.ok).toBe(false);
    });
  }

  it('accepts either credential when both are configured; Basic auth carries the token as its password (SNS)', async () => {
    const both = createAuthenticator({ token: TOKEN, oidc: oidc() });
    expect(both.description).toBe('bearer token or Pub/Sub OIDC token');
    expect((await both.verify(`Bearer ${TOKEN}`)).ok).toBe(true);
    expect((await both.verify(`Bearer ${await sign()}`)).ok).toBe(true);
    expect((await both.verify(`Basic ${Buffer.from(`sns:${TOKEN}`).toString('base64')}`)).ok).toBe(true);
    expect((await both.verify('Bearer wrong')).ok).toBe(false);
    expect((await both.verify(undefined)).ok).toBe(false);
  });

  it('with no credential configured every request passes (the server is then loopback-only)', async () => {
    const none = createAuthenticator();
    expect(none.configured).toBe(false);
    expect((await none.verify(undefined)).ok).toBe(true);
  });
});

describe('the receiver behind OIDC', () => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await openBed({
      auth: createAuthenticator({ oidc: oidc() }),
      metrics: new Metrics({}, { defaultMetrics: false }),
    });
  });
  afterAll(async () => bed?.close());

  it('routes a push carrying a valid OIDC token and answers 401 to a forged one', async () => {
    await bed.ws.put('source_bucket/raw_data/sale_fr_2024-05.csv', CSV);
    const push = await fixture('gcs-pubsub-push.json');
    const forged = await bed.post(push, { authorization: `Bearer ${await sign({}, { key: strangerKey })}` });
    expect(forged.status).toBe(401);
    expect(forged.json.error?.code).toBe('E_UNAUTHORIZED');
    expect(forged.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const ok = await bed.post(push, { authorization: `Bearer ${await sign()}` });
    expect(ok.status).toBe(200);
    expect(ok.json.outcome).toBe('routed');
  });

  it('with OIDC alone, /metrics needs a credential too; /healthz does not', async () => {
    const open = await fetch(`${bed.url}/metrics`);
    expect(open.status).toBe(401);
    expect(open.headers.get('www-authenticate')).toBe('Basic realm="switchyard"');
    const signed = await fetch(`${bed.url}/metrics`, {
      headers: { authorization: `Bearer ${await sign()}` },
    });
    expect(signed.status).toBe(200);
    expect(await signed.text()).toContain('switchyard_build_info');
    expect((await fetch(`${bed.url}/healthz`)).status).toBe(200);
  });
});

describe('listening address and credentials', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-auth-'));
    await writeFile(
      path.join(dir, 'routes.csv'),
      'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory\nsource_bucket,raw_data,finance.*\\.csv,finance,raw_data,\n',
    );
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com'])
      expect(isLoopback(host), host).toBe(false);
  });

  it('refuses a non-loopback address without a credential, and accepts it with one', async () => {
    const config = await loadConfig(
      { routes: path.join(dir, 'routes.csv'), data: path.join(dir, 'data'), state: path.join(dir, 'state') },
      {},
      dir,
    );
    const ctx = await openContext(config, silentLogger());
    await expect(startEventMode(ctx, { port: 0, host: '0.0.0.0', watch: false })).rejects.toMatchObject({
      code: 'E_USAGE',
    });
    await ctx.close();

    const withToken = await loadConfig(
      { routes: path.join(dir, 'routes.csv'), data: path.join(dir, 'data'), state: path.join(dir, 'state') },
      { SWITCHYARD_TOKEN: TOKEN },
      dir,
    );
    const ctx2 = await openContext(withToken, silentLogger());
    const mode = await startEventMode(ctx2, { port: 0, host: '0.0.0.0', watch: false });
    const health = await fetch(`${mode.url}/healthz`);
    expect(health.status).toBe(200);
    const denied = await fetch(`${mode.url}/events`, { method: 'POST', body: '{}' });
    expect(denied.status).toBe(401);
    await mode.stop();
  });

  it('reads server.oidc (JWKS file relative to switchyard.yaml) and server.tokenEnv', async () => {
    await writeFile(path.join(dir, 'jwks.json'), JSON.stringify(jwks));
    await writeFile(
      path.join(dir, 'switchyard.yaml'),
      `server:\n  tokenEnv: MY_TOKEN\n  oidc:\n    audience: ${AUDIENCE}\n    serviceAccountEmail: ${SERVICE_ACCOUNT}\n    jwksFile: jwks.json\n`,
    );
    const config = await loadConfig({ routes: path.join(dir, 'routes.csv') }, { MY_TOKEN: 'from-env' }, dir);
    const auth = await authFromConfig(config);
    expect(auth.description).toBe('bearer token or Pub/Sub OIDC token');
    expect((await auth.verify('Bearer from-env')).ok).toBe(true);
    expect((await auth.verify(`Bearer ${await sign()}`)).ok).toBe(true);
    expect((await auth.verify(`Bearer ${await sign({}, { audience: 'x' })}`)).ok).toBe(false);

    // Google rotates its keys: a token naming a key the file now has (but the set in memory lacks) is accepted.
    const rotated = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(rotated.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' };
    await writeFile(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [...jwks.keys, jwk] }));
    const token = await new SignJWT({ email: SERVICE_ACCOUNT, email_verified: true })
      .setProtectedHeader({ alg: 'RS256', kid: 'k2' })
      .setIssuer('https://accounts.google.com')
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(rotated.privateKey);
    expect((await auth.verify(`Bearer ${token}`)).ok).toBe(true);
  });
});
