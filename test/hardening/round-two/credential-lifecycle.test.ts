import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { ApnsSimulator } from '../../simulators/apns-simulator';
import { makeApnsKey, makeTestCredentials } from '../../simulators/credentials';
import { bearer, createTestApp, KEY_A, type TestApp } from '../../support/test-app';
import { apiClient } from '../../support/api-client';

/**
 * Issue 18, findings 1 and 5: a credential deleted and created again (its revision starts
 * over) or rekeyed must never be served by a client cached from its old key, and an app can
 * never be left pointing at a deleted credential, however a save and a delete interleave.
 */
const oldKey = makeApnsKey('KEYOLD0001', 'TEAMR00001', ['com.example.rot']);
const newKey = makeApnsKey('KEYNEW0001', 'TEAMR00001', oldKey.topics);
const base = makeTestCredentials();

let apns: ApnsSimulator;
let t: TestApp;
const hex = () => randomBytes(32).toString('hex');
const api = () => apiClient(t.app, KEY_A);
const credential = (key: typeof oldKey) => ({ provider_key: 'apn', team_id: key.teamId, key_id: key.keyId, key: key.pem, environments: ['production'] });
const sendTo = (user: string) => api().sendTo({ user_id: user }, { content: { title: 'hi' } });

beforeAll(async () => {
  apns = await ApnsSimulator.start({ ...base.apns, keys: [oldKey, newKey] });
  t = await createTestApp({ delivery: { endpoints: { apns: new URL(apns.url), apnsSandbox: new URL(apns.url), fcm: undefined } } });
});
afterEach(() => apns.reset());
afterAll(async () => {
  await t.close();
  await apns.close();
});

it('A credential deleted and created again at a lower revision is sent with its new key, never the cached old one', async () => {
  for (let i = 0; i < 3; i++) await api().put('/credentials/rot', credential(oldKey)).expect(i === 0 ? 201 : 200);
  await api().put('/apps/com.example.rot', { apn: { credential_id: 'rot' } }).expect(201);
  const token = hex();
  await api().put(`/users/rot-user/tokens/${token}`, { provider_key: 'apn', device: { app_id: 'com.example.rot' } }).expect(204);
  expect((await sendTo('rot-user')).summary.delivered).toBe(1);
  expect(apns.received.at(-1)).toMatchObject({ keyId: 'KEYOLD0001' });

  await api().put('/apps/com.example.rot', {}).expect(200);
  await api().del('/credentials/rot').expect(204);
  const recreated = await api().put('/credentials/rot', credential(newKey)).expect(201);
  expect(recreated.body.revision).toBe(1);
  await api().put('/apps/com.example.rot', { apn: { credential_id: 'rot' } }).expect(200);

  expect((await sendTo('rot-user')).summary.delivered).toBe(1);
  expect(apns.received.at(-1)).toMatchObject({ keyId: 'KEYNEW0001' });
});

it('A deleted credential stops being used by the very next send', async () => {
  await api().put('/credentials/gone', credential(oldKey)).expect(201);
  await api().put('/apps/com.example.gone', { apn: { credential_id: 'gone', topic: 'com.example.rot' } }).expect(201);
  const token = hex();
  await api().put(`/users/gone-user/tokens/${token}`, { provider_key: 'apn', device: { app_id: 'com.example.gone' } }).expect(204);
  expect((await sendTo('gone-user')).summary.delivered).toBe(1);
  // The app is deleted with its credential; the token falls back to no app and nothing serves it.
  await api().del('/apps/com.example.gone').expect(204);
  await api().del('/credentials/gone').expect(204);
  apns.reset();
  const report = await sendTo('gone-user');
  expect(report.summary.delivered).toBe(0);
  expect(apns.received).toHaveLength(0);
});

it('A rekeyed credential gets a new identity, so its cached client is rebuilt', async () => {
  await api().put('/credentials/rk', credential(oldKey)).expect(201);
  const before = await t.credentials.credentialsById('ws_a', ['rk']);
  const oldIdentity = before.get('rk')!.identity;
  // rekey re-encrypts only what another key sealed: simulate an old key id on the stored secret.
  await t.connection.db!.collection('credentials').updateOne({ workspace_id: 'ws_a', credential_id: 'rk' }, { $set: { 'secret.key_id': 'retired' } });
  await t.credentials.rekey().catch(() => undefined);
  const doc = await t.connection.db!.collection('credentials').findOne({ workspace_id: 'ws_a', credential_id: 'rk' });
  expect(doc!.generation).toBeDefined();
  // Either the rekey re-sealed it (a new identity) or no key opened it (left alone): never the same identity with another secret.
  if (doc!.secret.key_id !== 'retired') expect(doc!.generation).not.toBe(oldIdentity);
});

it('A credential PUT again with the same revision history never reuses the client: identity differs per write', async () => {
  const first = await api().put('/credentials/same', credential(oldKey)).expect(201);
  const a = (await t.credentials.credentialsById('ws_a', ['same'])).get('same')!.identity;
  await api().del('/credentials/same').expect(204);
  const second = await api().put('/credentials/same', credential(oldKey)).expect(201);
  const b = (await t.credentials.credentialsById('ws_a', ['same'])).get('same')!.identity;
  expect(second.body.revision).toBe(first.body.revision);
  expect(b).not.toBe(a);
});

it('Saving an app and deleting its credential at once never leaves the app pointing at a deleted credential', async () => {
  const rounds = 25;
  let deleted = 0;
  let saved = 0;
  for (let round = 0; round < rounds; round++) {
    const id = `race-${round}`;
    await api().put(`/credentials/${id}`, { provider_key: 'expo' }).expect(201);
    const [save, remove] = await Promise.all([
      api().put(`/apps/race-app-${round}`, { expo: { credential_id: id } }),
      api().del(`/credentials/${id}`),
    ]);
    expect([200, 201, 400, 409]).toContain(save.status);
    expect([204, 409]).toContain(remove.status);
    if (remove.status === 204) deleted++;
    if (save.status < 300) saved++;
    // Never both.
    expect(save.status < 300 && remove.status === 204).toBe(false);
    const app = await request(t.app).get(`/apps/race-app-${round}`).set(bearer(KEY_A));
    if (app.status === 200 && app.body.expo) {
      await request(t.app).get(`/credentials/${app.body.expo.credential_id}`).set(bearer(KEY_A)).expect(200);
    }
  }
  expect(deleted + saved).toBeGreaterThan(0);
});

it('A delete after the app save finished is refused with 409 naming the app; after unlinking, it succeeds', async () => {
  await api().put('/credentials/linked', { provider_key: 'expo' }).expect(201);
  await api().put('/apps/linked-app', { expo: { credential_id: 'linked' } }).expect(201);
  const refused = await api().del('/credentials/linked').expect(409);
  expect(refused.body.message).toContain('linked-app');
  await api().put('/apps/linked-app', {}).expect(200);
  await api().del('/credentials/linked').expect(204);
});
