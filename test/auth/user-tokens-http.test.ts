import { decodeJwt, decodeProtectedHeader, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import request from 'supertest';
import { UserTokens } from '../../src/auth/user-tokens';
import { readWorkspaceKeys } from '../../src/auth/workspace-keys';
import { bearer, createTestApp, KEY_A, KEY_B, testUserTokens, type TestApp } from '../support/test-app';

/**
 * User-scoped JWTs through the API: issuing, what a token may do, and every boundary (own
 * user, other user, missing scope, expiry, tampering, alg none, another workspace, forbidden
 * routes), plus tokens that a workspace's backend signs itself.
 */
const READ_ONLY_KEY = 'sk_read_only_0123456789';
const SEND_ONLY_KEY = 'sk_send_only_0123456789';
let clock = Date.now();
let t: TestApp;
let rsaPrivate: CryptoKey;
let ecPrivate: CryptoKey;
beforeAll(async () => {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  rsaPrivate = rsa.privateKey;
  ecPrivate = ec.privateKey;
  const workspaceKeys = await readWorkspaceKeys(
    {
      ws_a: [{ kid: 'backend-rsa', alg: 'RS256', jwk: await exportJWK(rsa.publicKey) }],
      ws_b: [{ kid: 'backend-ec', alg: 'ES256', pem: await exportSPKI(ec.publicKey) }],
    },
    'test workspace keys',
  );
  t = await createTestApp({
    apiKeys: `ws_a:${KEY_A},ws_b:${KEY_B},ws_a:${READ_ONLY_KEY}=tokens:read+devices:read,ws_a:${SEND_ONLY_KEY}=send`,
    userTokens: await testUserTokens({ workspaceKeys, maxTtlSeconds: 30 * 86_400, now: () => clock }),
  });
});
afterAll(async () => {
  await t.close();
});
afterEach(() => {
  clock = Date.now();
});

async function issue(scope: string, expires_in: string | number = '1h', key = KEY_A): Promise<string> {
  const res = await request(t.app).post('/auth/issue-token').set(bearer(key)).send({ scope, expires_in }).expect(200);
  return res.body.token;
}
const put = (token: string, user: string, device: string, body: object = { provider_key: 'apn' }) =>
  request(t.app).put(`/users/${user}/tokens/${device}`).set(bearer(token)).send(body);

describe('POST /auth/issue-token', () => {
  it('When a key issues a token, then it is an ES256 JWT with a kid, the workspace, the scope, iat, exp and jti', async () => {
    const before = Math.floor(Date.now() / 1000);
    const jwt = await issue('user_id:u1 read:user-tokens write:user-tokens inbox:read:messages', '2 hours');
    const header = decodeProtectedHeader(jwt);
    const claims = decodeJwt(jwt);
    expect(header).toMatchObject({ alg: 'ES256', kid: expect.any(String), typ: 'JWT' });
    expect(claims).toMatchObject({ workspace_id: 'ws_a', scope: 'user_id:u1 read:user-tokens write:user-tokens', jti: expect.any(String) });
    expect(claims.exp! - claims.iat!).toBe(7_200);
    expect(claims.iat).toBeGreaterThanOrEqual(before - 1);
    const jwks = await request(t.app).get('/.well-known/jwks.json').expect(200);
    expect(jwks.body.keys).toEqual([expect.objectContaining({ kid: header.kid, alg: 'ES256', kty: 'EC', crv: 'P-256' })]);
    expect(jwks.body.keys[0]).not.toHaveProperty('d');
  });

  it.each([
    [{ scope: 'read:user-tokens', expires_in: '1h' }, 'scope'],
    [{ expires_in: '1h' }, 'scope'],
    [{ scope: 'user_id:u1', expires_in: 'forever' }, 'expires_in'],
    [{ scope: 'user_id:u1', expires_in: '31 days' }, 'expires_in'],
    [{ scope: 'user_id:u1', expires_in: '1h', extra: 1 }, 'extra'],
  ])('When the body is %j, then it is a 400 naming %s', async (body, field) => {
    const res = await request(t.app).post('/auth/issue-token').set(bearer(KEY_A)).send(body).expect(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
  });

  it('When a key without tokens:write asks for write:user-tokens, then it is a 403; read-only rights it holds are fine', async () => {
    const res = await request(t.app).post('/auth/issue-token').set(bearer(READ_ONLY_KEY)).send({ scope: 'user_id:u1 write:user-tokens', expires_in: '1h' }).expect(403);
    expect(res.body.missing_scope).toBe('tokens:write');
    await request(t.app).post('/auth/issue-token').set(bearer(READ_ONLY_KEY)).send({ scope: 'user_id:u1 read:user-tokens', expires_in: '1h' }).expect(200);
    const send = await request(t.app).post('/auth/issue-token').set(bearer(SEND_ONLY_KEY)).send({ scope: 'user_id:u1 read:user-tokens', expires_in: '1h' }).expect(403);
    expect(send.body.missing_scope).toBe('tokens:read');
  });

  it('When no signing key is configured (production without USER_TOKEN_SIGNING_KEYS_FILE), then it is a 503 naming the variable, and API keys still work', async () => {
    const app = await createTestApp({ userTokens: new UserTokens({ ring: undefined, missingRingReason: 'USER_TOKEN_SIGNING_KEYS_FILE is not set', maxTtlSeconds: 3600 }) });
    const res = await request(app.app).post('/auth/issue-token').set(bearer(KEY_A)).send({ scope: 'user_id:u1', expires_in: '1h' }).expect(503);
    expect(res.body.message).toContain('USER_TOKEN_SIGNING_KEYS_FILE');
    await request(app.app).put('/users/u1/tokens/still-works').set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    expect((await request(app.app).get('/.well-known/jwks.json').expect(200)).body).toEqual({ keys: [] });
    await app.close();
  });
});

describe('What a user token may do', () => {
  it('With write and read for its user, it can PUT, GET, list, PATCH and DELETE that user’s tokens', async () => {
    const jwt = await issue('user_id:own read:user-tokens write:user-tokens');
    await put(jwt, 'own', 'own-device').expect(204);
    expect((await request(t.app).get('/users/own/tokens/own-device').set(bearer(jwt)).expect(200)).body.user_id).toBe('own');
    expect((await request(t.app).get('/users/own/tokens').set(bearer(jwt)).expect(200)).body.tokens).toHaveLength(1);
    await request(t.app).patch('/users/own/tokens/own-device').set(bearer(jwt)).send({ patch: [{ op: 'replace', path: '/status', value: 'revoked' }] }).expect(204);
    await request(t.app).delete('/users/own/tokens/own-device').set(bearer(jwt)).expect(204);
  });

  it('For another user, every verb is a 403 naming user_id:<id>, and nothing is read or written', async () => {
    await request(t.app).put('/users/victim/tokens/victim-device').set(bearer(KEY_A)).send({ provider_key: 'apn', properties: { email: 'v@example.com' } }).expect(204);
    const jwt = await issue('user_id:attacker read:user-tokens write:user-tokens');
    const before = await t.model.countDocuments({});
    for (const res of [
      await put(jwt, 'victim', 'attacker-device'),
      await request(t.app).get('/users/victim/tokens/victim-device').set(bearer(jwt)),
      await request(t.app).get('/users/victim/tokens').set(bearer(jwt)),
      await request(t.app).patch('/users/victim/tokens/victim-device').set(bearer(jwt)).send({ patch: [{ op: 'remove', path: '/properties/email' }] }),
      await request(t.app).delete('/users/victim/tokens/victim-device').set(bearer(jwt)),
      await request(t.app).get('/api/v1/people/victim/devices').set(bearer(jwt)),
      await request(t.app).post('/api/v1/people/victim/devices').set(bearer(jwt)).send({ token: 'attacker-device', platform: 'ios' }),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.missing_scope).toBe('user_id:victim');
      expect(JSON.stringify(res.body)).not.toContain('v@example.com');
    }
    expect(await t.model.countDocuments({})).toBe(before);
    expect((await request(t.app).get('/users/victim/tokens/victim-device').set(bearer(KEY_A)).expect(200)).body.properties).toEqual({ email: 'v@example.com' });
  });

  it('A token for several users acts for each of them', async () => {
    const jwt = await issue('user_id:twin-a user_id:twin-b write:user-tokens');
    await put(jwt, 'twin-a', 'twin-a-device').expect(204);
    await put(jwt, 'twin-b', 'twin-b-device').expect(204);
    expect((await put(jwt, 'twin-c', 'twin-c-device')).status).toBe(403);
  });

  it('Without the needed scope, it is a 403 naming write:user-tokens or read:user-tokens', async () => {
    const readOnly = await issue('user_id:scoped read:user-tokens');
    const writeOnly = await issue('user_id:scoped write:user-tokens');
    expect((await put(readOnly, 'scoped', 'scoped-device')).body.missing_scope).toBe('write:user-tokens');
    await put(writeOnly, 'scoped', 'scoped-device').expect(204);
    expect((await request(t.app).get('/users/scoped/tokens/scoped-device').set(bearer(writeOnly)).expect(403)).body.missing_scope).toBe('read:user-tokens');
    expect((await request(t.app).get('/users/scoped/tokens').set(bearer(writeOnly)).expect(403)).body.missing_scope).toBe('read:user-tokens');
  });

  it('Bulk PUT, /send and /auth/issue-token refuse user tokens', async () => {
    const jwt = await issue('user_id:bulk read:user-tokens write:user-tokens');
    await request(t.app).put('/users/bulk/tokens').set(bearer(jwt)).send({ tokens: [{ token: 'bulk-1', provider_key: 'apn' }] }).expect(403);
    await request(t.app).post('/send').set(bearer(jwt)).send({ message: { to: { user_id: 'bulk' }, content: { title: 't' } } }).expect(403);
    await request(t.app).post('/auth/issue-token').set(bearer(jwt)).send({ scope: 'user_id:bulk write:user-tokens', expires_in: '1h' }).expect(403);
    expect(await t.model.countDocuments({ token: 'bulk-1' })).toBe(0);
  });

  it('The Devices API takes the same token for its person_id', async () => {
    const jwt = await issue('user_id:person-1 read:user-tokens write:user-tokens');
    await request(t.app).post('/api/v1/people/person-1/devices').set(bearer(jwt)).send({ token: 'person-device', platform: 'android' }).expect(201);
    expect((await request(t.app).get('/api/v1/people/person-1/devices').set(bearer(jwt)).expect(200)).body.total).toBe(1);
    await request(t.app).delete('/api/v1/people/person-1/devices/person-device').set(bearer(jwt)).expect(204);
    const readOnly = await issue('user_id:person-1 read:user-tokens');
    expect((await request(t.app).post('/api/v1/people/person-1/devices').set(bearer(readOnly)).send({ token: 'x-device', platform: 'ios' }).expect(403)).body.missing_scope).toBe('write:user-tokens');
  });

  it('A user token of one workspace never sees another workspace’s tokens (404)', async () => {
    await request(t.app).put('/users/shared/tokens/ws-a-device').set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    const otherWorkspace = await issue('user_id:shared read:user-tokens write:user-tokens', '1h', KEY_B);
    await request(t.app).get('/users/shared/tokens/ws-a-device').set(bearer(otherWorkspace)).expect(404);
    expect((await request(t.app).get('/users/shared/tokens').set(bearer(otherWorkspace)).expect(200)).body.tokens).toEqual([]);
    await request(t.app).delete('/users/shared/tokens/ws-a-device').set(bearer(otherWorkspace)).expect(404);
  });

  it('Decided: a user token that PUTs a token registered to another user moves it (the device holds it), and reads nothing of the other user', async () => {
    await request(t.app).put('/users/seller/tokens/resold-device').set(bearer(KEY_A)).send({ provider_key: 'apn', properties: { email: 'seller@example.com' } }).expect(204);
    const buyer = await issue('user_id:buyer read:user-tokens write:user-tokens');
    const res = await put(buyer, 'buyer', 'resold-device');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const moved = (await request(t.app).get('/users/buyer/tokens/resold-device').set(bearer(buyer)).expect(200)).body;
    expect(moved.properties).toEqual({});
    expect(JSON.stringify(moved)).not.toContain('seller');
    await request(t.app).get('/users/seller/tokens/resold-device').set(bearer(KEY_A)).expect(404);
  });
});

describe('Tokens that are not valid are a 401 that never echoes them', () => {
  const expectRefused = async (jwt: string) => {
    const res = await request(t.app).get('/users/u1/tokens').set(bearer(jwt)).expect(401);
    expect(res.body.type).toBe('authentication_error');
    expect(JSON.stringify(res.body)).not.toContain(jwt.slice(0, 20));
    expect(JSON.stringify(res.body)).not.toContain(jwt.split('.')[1]!.slice(0, 12));
  };

  it('expired', async () => {
    const jwt = await issue('user_id:u1 read:user-tokens', '1m');
    await request(t.app).get('/users/u1/tokens').set(bearer(jwt)).expect(200);
    clock += 2 * 60_000;
    await expectRefused(jwt);
  });

  it('tampered: the payload changed to another user', async () => {
    const jwt = await issue('user_id:u1 read:user-tokens');
    const [header, payload, signature] = jwt.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(jwt), scope: 'user_id:victim read:user-tokens' })).toString('base64url');
    expect(forged).not.toBe(payload);
    await expectRefused(`${header}.${forged}.${signature}`);
  });

  it('signed by another key under our kid', async () => {
    const jwt = await issue('user_id:u1 read:user-tokens');
    const { kid } = decodeProtectedHeader(jwt);
    const other = await generateKeyPair('ES256');
    const forged = await new SignJWT({ workspace_id: 'ws_a', scope: 'user_id:u1 read:user-tokens' })
      .setProtectedHeader({ alg: 'ES256', kid: kid! })
      .setIssuer('push-token-registry')
      .setExpirationTime('1h')
      .sign(other.privateKey);
    await expectRefused(forged);
  });

  it('alg none, and HS256 with the public key as the secret', async () => {
    const jwt = await issue('user_id:u1 read:user-tokens');
    const { kid } = decodeProtectedHeader(jwt);
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { workspace_id: 'ws_a', scope: 'user_id:u1 read:user-tokens', exp: Math.floor(Date.now() / 1000) + 600, iss: 'push-token-registry' };
    await expectRefused(`${b64({ alg: 'none', kid, typ: 'JWT' })}.${b64(claims)}.`);
    await expectRefused(`${b64({ alg: 'none', kid, typ: 'JWT' })}.${b64(claims)}.x`);
    const publicJwk = (await request(t.app).get('/.well-known/jwks.json')).body.keys[0];
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: kid! }).sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    await expectRefused(hs);
  });

  it('a JWT-shaped value is never tried as an API key', async () => {
    await expectRefused(`eyJ${KEY_A}.abc.def`);
  });
});

describe('Tokens a workspace’s backend signs itself', () => {
  const mint = (key: CryptoKey, alg: string, kid: string, claims: Record<string, unknown>, expiresIn: string | null = '10m') => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg, kid });
    if (expiresIn) jwt.setExpirationTime(expiresIn);
    return jwt.sign(key);
  };

  it('RS256 (registered as a JWK) acts for ws_a; ES256 (registered as PEM) acts for ws_b only', async () => {
    const rs = await mint(rsaPrivate, 'RS256', 'backend-rsa', { scope: 'user_id:minted write:user-tokens read:user-tokens' });
    await put(rs, 'minted', 'minted-device').expect(204);
    expect((await t.model.findOne({ token: 'minted-device' }).lean())!.workspace_id).toBe('ws_a');
    const es = await mint(ecPrivate, 'ES256', 'backend-ec', { scope: 'user_id:minted write:user-tokens' });
    await put(es, 'minted', 'minted-device-b').expect(204);
    expect((await t.model.findOne({ token: 'minted-device-b' }).lean())!.workspace_id).toBe('ws_b');
  });

  it('A token that claims another workspace than its key’s, lacks exp, or lives past USER_TOKEN_MAX_TTL is refused', async () => {
    const claimsOther = await mint(ecPrivate, 'ES256', 'backend-ec', { workspace_id: 'ws_a', scope: 'user_id:x write:user-tokens' });
    await put(claimsOther, 'x', 'x-device').expect(401);
    const noExp = await mint(rsaPrivate, 'RS256', 'backend-rsa', { scope: 'user_id:x write:user-tokens' }, null);
    await put(noExp, 'x', 'x-device').expect(401);
    const tooLong = await mint(rsaPrivate, 'RS256', 'backend-rsa', { scope: 'user_id:x write:user-tokens' }, '400d');
    await put(tooLong, 'x', 'x-device').expect(401);
    const unknownKid = await mint(rsaPrivate, 'RS256', 'nobody', { scope: 'user_id:x write:user-tokens' });
    await put(unknownKid, 'x', 'x-device').expect(401);
  });

  it('Workspace keys must be RS256, ES256 or EdDSA public keys with unique kids', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    await expect(readWorkspaceKeys({ ws: [{ kid: 'k', alg: 'HS256', jwk: { kty: 'oct', k: 'c2VjcmV0' } }] }, 'f')).rejects.toThrow(/alg must be one of RS256, ES256, EdDSA/);
    await expect(readWorkspaceKeys({ ws: [{ kid: 'k', alg: 'ES256', jwk: await exportJWK(privateKey) }] }, 'f')).rejects.toThrow(/private key/);
    const jwk = await exportJWK(publicKey);
    await expect(readWorkspaceKeys({ a: [{ kid: 'k', alg: 'ES256', jwk }], b: [{ kid: 'k', alg: 'ES256', jwk }] }, 'f')).rejects.toThrow(/unique/);
  });
});
