import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { CredentialStore } from '../../src/apps/credential-store';
import { SecretBox } from '../../src/apps/secret-box';
import { bearer, createTestApp, KEY_A, KEY_B, type TestApp } from '../support/test-app';

/** Provider credentials and apps as encrypted data, through the API. */
const P8 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const RSA = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const P384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const READ_KEY = 'sk_apps_read_0123456789';
const TOKENS_KEY = 'sk_tokens_only_0123456789';
const KEYS_1 = SecretBox.newKeyEntry('k1');
const apn = { provider_key: 'apn', team_id: 'TEAMA00001', key_id: 'KEYA000001', key: P8 };
const fcm = { provider_key: 'firebase-fcm', service_account: { type: 'service_account', project_id: 'project-one', client_email: 'push@project-one.iam.gserviceaccount.com', private_key: RSA } };

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ apiKeys: `ws_a:${KEY_A},ws_b:${KEY_B},ws_a:${READ_KEY}=apps:read,ws_a:${TOKENS_KEY}=tokens:read+tokens:write`, credentialsKeys: KEYS_1 });
});
afterAll(async () => {
  await t.close();
});
const put = (path: string, body: unknown, key = KEY_A) => request(t.app).put(path).set(bearer(key)).send(body as object);

describe('credentials', () => {
  it('PUT creates (201) then replaces (200); GET answers fingerprints, never key material', async () => {
    const created = await put('/credentials/team-a', apn).expect(201);
    expect(created.body).toMatchObject({ credential_id: 'team-a', provider_key: 'apn', team_id: 'TEAMA00001', key_id: 'KEYA000001', environments: ['production', 'sandbox'], key_sha256: expect.stringMatching(/^[0-9a-f]{64}$/), revision: 1 });
    const replaced = await put('/credentials/team-a', { ...apn, environments: ['sandbox'] }).expect(200);
    expect(replaced.body).toMatchObject({ environments: ['sandbox'], revision: 2 });
    await put('/credentials/project-1', fcm).expect(201);
    const list = await request(t.app).get('/credentials').set(bearer(READ_KEY)).expect(200);
    expect(list.body.credentials.map((c: { credential_id: string }) => c.credential_id)).toEqual(['project-1', 'team-a']);
    const one = await request(t.app).get('/credentials/project-1').set(bearer(KEY_A)).expect(200);
    expect(one.body).toMatchObject({ project_id: 'project-one', client_email: 'push@project-one.iam.gserviceaccount.com' });
    for (const body of [created.body, replaced.body, list.body, one.body]) {
      expect(JSON.stringify(body)).not.toMatch(/PRIVATE KEY|private_key|MIG/);
    }
  });

  it('A raw look into MongoDB finds no key material in plaintext', async () => {
    const docs = await t.connection.db!.collection('credentials').find({}).toArray();
    expect(docs.length).toBeGreaterThanOrEqual(2);
    const raw = JSON.stringify(docs);
    expect(raw).not.toContain('PRIVATE KEY');
    for (const pem of [P8, RSA]) {
      const body = pem.split('\n').slice(1, -2).join('');
      for (let i = 0; i + 16 <= body.length; i += 16) expect(raw).not.toContain(body.slice(i, i + 16));
    }
    expect(docs[0]!.secret).toMatchObject({ key_id: 'k1', iv: expect.any(String), ciphertext: expect.any(String), tag: expect.any(String) });
  });

  it.each([
    [{ ...apn, key: 'not a key' }, 'key'],
    [{ ...apn, key: P384 }, 'key'],
    [{ ...apn, key: RSA }, 'key'],
    [{ ...apn, team_id: 'short' }, 'team_id'],
    [{ ...apn, environments: ['staging'] }, 'environments[0]'],
    [{ ...apn, environments: [] }, 'environments'],
    [{ provider_key: 'firebase-fcm', service_account: { ...fcm.service_account, private_key: P8 } }, 'service_account.private_key'],
    [{ provider_key: 'firebase-fcm', service_account: { ...fcm.service_account, project_id: undefined } }, 'service_account.project_id'],
    [{ provider_key: 'firebase-fcm', service_account: { ...fcm.service_account, client_email: 'nope' } }, 'service_account.client_email'],
    [{ provider_key: 'pigeon' }, 'provider_key'],
  ])('A malformed credential is a 400 naming %#: %s, with nothing stored and no key material in the answer', async (body, field) => {
    const res = await put('/credentials/bad-one', body).expect(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect(JSON.stringify(res.body)).not.toMatch(/PRIVATE KEY|MIG/);
    await request(t.app).get('/credentials/bad-one').set(bearer(KEY_A)).expect(404);
  });
});

describe('apps', () => {
  it('PUT an app naming its credentials per provider; GET and list answer it', async () => {
    await put('/credentials/team-a', apn).expect(200);
    const created = await put('/apps/com.example.app', { apn: { credential_id: 'team-a', environment: 'auto' }, 'firebase-fcm': { credential_id: 'project-1' } }).expect(201);
    expect(created.body).toMatchObject({ app_id: 'com.example.app', apn: { credential_id: 'team-a', environment: 'auto' }, 'firebase-fcm': { credential_id: 'project-1' } });
    const replaced = await put('/apps/com.example.app', { 'firebase-fcm': { credential_id: 'project-1' } }).expect(200);
    expect(replaced.body).not.toHaveProperty('apn');
    await put('/apps/default', { apn: { credential_id: 'team-a', topic: 'com.example.fallback' } }).expect(201);
    const list = await request(t.app).get('/apps').set(bearer(READ_KEY)).expect(200);
    expect(list.body.apps.map((a: { app_id: string }) => a.app_id)).toEqual(['com.example.app', 'default']);
  });

  it.each([
    [{ apn: { credential_id: 'nope' } }, 'apn.credential_id', /no credential/],
    [{ apn: { credential_id: 'project-1' } }, 'apn.credential_id', /firebase-fcm credential/],
    [{ 'firebase-fcm': { credential_id: 'team-a' } }, 'firebase-fcm.credential_id', /apn credential/],
    [{ apn: { credential_id: 'team-a', environment: 'staging' } }, 'apn.environment', /one of/],
  ])('An app that names a wrong credential (%j) is a 400 naming %s', async (body, field, message) => {
    const res = await put('/apps/com.example.bad', body).expect(400);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: field, message: expect.stringMatching(message) })]));
    await request(t.app).get('/apps/com.example.bad').set(bearer(KEY_A)).expect(404);
  });

  it('An app may not use an environment its credential does not allow', async () => {
    await put('/credentials/sandbox-only', { ...apn, key_id: 'KEYS000001', environments: ['sandbox'] }).expect(201);
    const res = await put('/apps/com.example.prod', { apn: { credential_id: 'sandbox-only', environment: 'production' } }).expect(400);
    expect(res.body.errors[0]).toMatchObject({ path: 'apn.environment', message: expect.stringMatching(/only sandbox/) });
    await put('/apps/com.example.prod', { apn: { credential_id: 'sandbox-only', environment: 'sandbox' } }).expect(201);
  });

  it('Deleting a credential that apps use is a 409 naming them; after the apps go, it deletes', async () => {
    const res = await request(t.app).delete('/credentials/project-1').set(bearer(KEY_A)).expect(409);
    expect(res.body.message).toContain('com.example.app');
    await request(t.app).delete('/apps/com.example.app').set(bearer(KEY_A)).expect(204);
    await request(t.app).delete('/credentials/project-1').set(bearer(KEY_A)).expect(204);
    await request(t.app).delete('/credentials/project-1').set(bearer(KEY_A)).expect(404);
  });
});

describe('who may see what', () => {
  it('Another workspace sees none of it (404, empty lists), and can reuse the ids for its own', async () => {
    await request(t.app).get('/credentials/team-a').set(bearer(KEY_B)).expect(404);
    await request(t.app).get('/apps/default').set(bearer(KEY_B)).expect(404);
    expect((await request(t.app).get('/credentials').set(bearer(KEY_B)).expect(200)).body.credentials).toEqual([]);
    await request(t.app).delete('/credentials/team-a').set(bearer(KEY_B)).expect(404);
    await put('/credentials/team-a', { ...apn, team_id: 'TEAMB00001' }, KEY_B).expect(201);
    expect((await request(t.app).get('/credentials/team-a').set(bearer(KEY_A)).expect(200)).body.team_id).toBe('TEAMA00001');
  });

  it('Scopes: apps:read reads only; a key without apps scopes gets 403; user tokens never reach these routes', async () => {
    expect((await put('/credentials/x', apn, READ_KEY).expect(403)).body.missing_scope).toBe('apps:write');
    expect((await request(t.app).get('/apps').set(bearer(TOKENS_KEY)).expect(403)).body.missing_scope).toBe('apps:read');
    const jwt = (await request(t.app).post('/auth/issue-token').set(bearer(KEY_A)).send({ scope: 'user_id:u1 read:user-tokens write:user-tokens', expires_in: '1h' })).body.token;
    await request(t.app).get('/apps').set(bearer(jwt)).expect(403);
    await put('/credentials/x', apn, jwt).expect(403);
  });
});

describe('encryption at rest', () => {
  it('Without CREDENTIALS_KEYS (production), the credential routes answer 503 naming it, and nothing is stored', async () => {
    const app = await createTestApp({ credentialsKeys: null });
    const res = await request(app.app).put('/credentials/team-a').set(bearer(KEY_A)).send(apn).expect(503);
    expect(res.body.message).toContain('CREDENTIALS_KEYS');
    expect(await app.connection.db!.collection('credentials').countDocuments()).toBe(0);
    await app.close();
  });

  it('Rotation: a new key first still reads the old; rekey re-encrypts under it; then the old key can go', async () => {
    const db = t.connection.db!;
    const oldBox = (SecretBox.parse(KEYS_1) as { box: SecretBox }).box;
    const keys2 = SecretBox.newKeyEntry('k2');
    const rotated = (SecretBox.parse(`${keys2},${KEYS_1}`) as { box: SecretBox }).box;
    const store = new CredentialStore(db, rotated);
    expect((await store.keyMaterial('ws_a', 'team-a')).material).toBe(P8);
    const { rekeyed, unreadable } = await store.rekey();
    expect(rekeyed).toBeGreaterThanOrEqual(2);
    expect(unreadable).toEqual([]);
    expect(await db.collection('credentials').countDocuments({ 'secret.key_id': 'k1' })).toBe(0);
    const onlyNew = new CredentialStore(db, (SecretBox.parse(keys2) as { box: SecretBox }).box);
    expect((await onlyNew.keyMaterial('ws_a', 'team-a')).material).toBe(P8);
    await expect(new CredentialStore(db, oldBox).keyMaterial('ws_a', 'team-a')).rejects.toThrow('encrypted with key k2, which is not in CREDENTIALS_KEYS');
  });
});
