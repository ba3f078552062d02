import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import request from 'supertest';
import { userTokenReach } from '../../../src/auth/user-scope';
import { readWorkspaceKeys } from '../../../src/auth/workspace-keys';
import { bearer, createTestApp, KEY_A, testUserTokens, type TestApp } from '../../support/test-app';

/**
 * Issue 18, finding 2: a user token reaches each API (Courier's tokens, Flameup's devices)
 * only where whoever issued it holds that API's scope: an API key's scopes, or a
 * workspace-signed JWT's key entry `scopes`. Nothing left to grant is a 403 at issue time.
 */
const TOKENS_READ = 'sk_tokens_read_0123456789';
const TOKENS_WRITE = 'sk_tokens_write_0123456789';
const DEVICES_ONLY = 'sk_devices_only_0123456789';

describe('userTokenReach (pure)', () => {
  it.each([
    [{ read: true, write: false }, ['tokens:read'], { reach: ['tokens:read'], empty: [] }],
    [{ read: true, write: false }, ['tokens:read', 'devices:read'], { reach: ['tokens:read', 'devices:read'], empty: [] }],
    [{ read: true, write: true }, ['tokens:read', 'devices:write'], { reach: ['tokens:read', 'devices:write'], empty: [] }],
    [{ read: true, write: true }, ['tokens:read'], { reach: ['tokens:read'], empty: ['write'] }],
    [{ read: true, write: false }, ['send', 'tokens:write'], { reach: [], empty: ['read'] }],
    [{ read: false, write: false }, ['tokens:read'], { reach: [], empty: [] }],
  ])('%j within %j', (scope, grantable, expected) => {
    expect(userTokenReach(scope, new Set(grantable))).toEqual(expected);
  });
});

describe('through the API', () => {
  let t: TestApp;
  let backendKey: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    backendKey = pair.privateKey;
    const workspaceKeys = await readWorkspaceKeys(
      { ws_a: [{ kid: 'backend-tokens-only', alg: 'ES256', jwk: await exportJWK(pair.publicKey), scopes: ['tokens:read', 'tokens:write'] }] },
      'test workspace keys',
    );
    t = await createTestApp({
      apiKeys: `ws_a:${KEY_A},ws_a:${TOKENS_READ}=tokens:read,ws_a:${TOKENS_WRITE}=tokens:write,ws_a:${DEVICES_ONLY}=devices:read+devices:write`,
      userTokens: await testUserTokens({ workspaceKeys }),
    });
    await request(t.app).post('/api/v1/people/alice/devices').set(bearer(KEY_A)).send({ token: 'alice-device', platform: 'ios' }).expect(201);
  });
  afterAll(async () => {
    await t.close();
  });
  const issue = (key: string, scope: string) => request(t.app).post('/auth/issue-token').set(bearer(key)).send({ scope, expires_in: '1h' });

  it('A tokens:read-only key issues read:user-tokens that reads tokens but not devices (the key itself gets 403 there too)', async () => {
    await request(t.app).get('/api/v1/people/alice/devices').set(bearer(TOKENS_READ)).expect(403);
    const jwt = (await issue(TOKENS_READ, 'user_id:alice read:user-tokens').expect(200)).body.token;
    expect(decodeJwt(jwt).reach).toEqual(['tokens:read']);
    await request(t.app).get('/users/alice/tokens').set(bearer(jwt)).expect(200);
    const res = await request(t.app).get('/api/v1/people/alice/devices').set(bearer(jwt)).expect(403);
    expect(res.body.missing_scope).toBe('devices:read');
  });

  it('A tokens:write-only key mints a token that PUTs tokens but can not POST devices', async () => {
    const jwt = (await issue(TOKENS_WRITE, 'user_id:alice write:user-tokens').expect(200)).body.token;
    await request(t.app).put('/users/alice/tokens/alice-token-2').set(bearer(jwt)).send({ provider_key: 'apn' }).expect(204);
    const res = await request(t.app).post('/api/v1/people/alice/devices').set(bearer(jwt)).send({ token: 'minted-device', platform: 'ios' }).expect(403);
    expect(res.body.missing_scope).toBe('devices:write');
    await request(t.app).delete('/api/v1/people/alice/devices/alice-device').set(bearer(jwt)).expect(403);
  });

  it('A devices-only key issues tokens that reach devices only', async () => {
    const jwt = (await issue(DEVICES_ONLY, 'user_id:alice read:user-tokens write:user-tokens').expect(200)).body.token;
    await request(t.app).get('/api/v1/people/alice/devices').set(bearer(jwt)).expect(200);
    await request(t.app).get('/users/alice/tokens').set(bearer(jwt)).expect(403);
    await request(t.app).put('/users/alice/tokens/x-token').set(bearer(jwt)).send({ provider_key: 'apn' }).expect(403);
  });

  it('When nothing of a requested part is left to grant, issuing is a 403 naming a scope the key lacks', async () => {
    const res = await issue(TOKENS_READ, 'user_id:alice read:user-tokens write:user-tokens').expect(403);
    expect(res.body.missing_scope).toBe('tokens:write');
    expect((await issue(TOKENS_WRITE, 'user_id:alice read:user-tokens').expect(403)).body.missing_scope).toBe('tokens:read');
  });

  it('A reach claim forged wider than the scope grants nothing more: a read token stays read-only', async () => {
    // A workspace backend signs its own: claim everything, ask only for read.
    const jwt = await new SignJWT({ scope: 'user_id:alice read:user-tokens', reach: ['tokens:read', 'tokens:write', 'devices:read', 'devices:write'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'backend-tokens-only' })
      .setExpirationTime('10m')
      .sign(backendKey);
    await request(t.app).get('/users/alice/tokens').set(bearer(jwt)).expect(200);
    await request(t.app).put('/users/alice/tokens/y-token').set(bearer(jwt)).send({ provider_key: 'apn' }).expect(403);
    // The key entry allows tokens only: the devices API is out of reach whatever the token says.
    expect((await request(t.app).get('/api/v1/people/alice/devices').set(bearer(jwt)).expect(403)).body.missing_scope).toBe('devices:read');
  });

  it('A workspace key entry with a bad scopes list is refused when the file is read', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    await expect(readWorkspaceKeys({ ws_a: [{ kid: 'k', alg: 'ES256', jwk: await exportJWK(pair.publicKey), scopes: ['send'] }] }, 'file')).rejects.toThrow(/scopes must be/);
  });
});
