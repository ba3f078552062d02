import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { ApnsSimulator } from '../simulators/apns-simulator';
import { makeApnsKey, makeServiceAccount, makeTestCredentials } from '../simulators/credentials';
import { ExpoSimulator } from '../simulators/expo-simulator';
import { FcmSimulator } from '../simulators/fcm-simulator';
import { OneSignalSimulator } from '../simulators/onesignal-simulator';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

/**
 * One user with one token of each of Courier's four provider_keys, one app whose four
 * credentials were put through the API (no instance-wide credentials): one POST /send delivers
 * through all four providers, and the Expo receipt is read later with the app's access token.
 */
const team = makeApnsKey('KEYRN00001', 'TEAMRN0001', ['com.example.rn']);
const project = makeServiceAccount('project-rn');
const base = makeTestCredentials();
const ONESIGNAL_APP = randomUUID();
const ONESIGNAL_KEY = 'os_v2_app_rn_key_0123456789';
const EXPO_ACCESS_TOKEN = 'expo-access-token-rn-0123';

let apns: ApnsSimulator;
let fcm: FcmSimulator;
let expo: ExpoSimulator;
let onesignal: OneSignalSimulator;
let t: TestApp;
let clock = Date.now();

beforeAll(async () => {
  apns = await ApnsSimulator.start({ ...base.apns, keys: [team] });
  fcm = await FcmSimulator.start({ ...base.fcm, projects: [project] });
  expo = await ExpoSimulator.start({ accessToken: EXPO_ACCESS_TOKEN });
  onesignal = await OneSignalSimulator.start({ appId: ONESIGNAL_APP, apiKey: ONESIGNAL_KEY });
  t = await createTestApp({
    delivery: {
      endpoints: { apns: new URL(apns.url), apnsSandbox: new URL(apns.url), fcm: new URL(fcm.url), expo: new URL(expo.url), onesignal: new URL(onesignal.url) },
      fcmBatchTimeoutMs: 20_000,
    },
    now: () => new Date(clock),
    expoReceipts: { delayMs: 15 * 60_000, intervalMs: 60_000 },
  });
  const put = (path: string, body: object) => request(t.app).put(path).set(bearer(KEY_A)).send(body).expect(201);
  await put('/credentials/team', { provider_key: 'apn', team_id: team.teamId, key_id: team.keyId, key: team.pem });
  await put('/credentials/project', { provider_key: 'firebase-fcm', service_account: project.json });
  await put('/credentials/expo', { provider_key: 'expo', access_token: EXPO_ACCESS_TOKEN });
  await put('/credentials/onesignal', { provider_key: 'onesignal', app_id: ONESIGNAL_APP, api_key: ONESIGNAL_KEY });
  await put('/apps/com.example.rn', {
    apn: { credential_id: 'team' },
    'firebase-fcm': { credential_id: 'project' },
    expo: { credential_id: 'expo' },
    onesignal: { credential_id: 'onesignal' },
  });
}, 60_000);
afterAll(async () => {
  await t.close();
  await Promise.all([apns.close(), fcm.close(), expo.close(), onesignal.close()]);
});

it('one POST /send delivers through APNs, FCM, Expo and OneSignal, each with the app’s own credential', async () => {
  const tokens = {
    apn: randomBytes(32).toString('hex'),
    'firebase-fcm': `rn:APA91b-${randomBytes(12).toString('hex')}`,
    expo: 'ExponentPushToken[rn-four-providers-0001]',
    onesignal: randomUUID(),
  };
  for (const [provider_key, token] of Object.entries(tokens)) {
    await request(t.app).put(`/users/four/tokens/${encodeURIComponent(token)}`).set(bearer(KEY_A)).send({ provider_key, device: { app_id: 'com.example.rn' } }).expect(204);
  }
  const report = (await request(t.app).post('/send').set(bearer(KEY_A)).send({ message: { to: { user_id: 'four' }, content: { title: 'Hi', body: 'all four' } } }).expect(200)).body;
  expect(report.summary).toEqual({ delivered: 4, invalidated: 0, failed: 0, skipped: 0 });
  expect(new Set(report.results.map((r: { provider_key: string; outcome: string }) => `${r.provider_key}:${r.outcome}`))).toEqual(
    new Set(['apn:delivered', 'firebase-fcm:delivered', 'expo:delivered', 'onesignal:delivered']),
  );
  expect(apns.counters.requests).toBe(1);
  expect(fcm.counters.requests).toBeGreaterThanOrEqual(1);
  expect(expo.sends).toEqual([expect.objectContaining({ recipients: [tokens.expo], authorization: `Bearer ${EXPO_ACCESS_TOKEN}` })]);
  expect(onesignal.received).toEqual([expect.objectContaining({ ids: [tokens.onesignal] })]);
  expect(onesignal.received[0]!.body.app_id).toBe(ONESIGNAL_APP);
  expect(t.providerClients.counts()).toEqual({ apn: 1, 'firebase-fcm': 1, expo: 1, onesignal: 1 });

  // The receipt is read with the same app credential's access token.
  clock += 16 * 60_000;
  expo.clock = clock;
  expect(await t.receipts.runOnce()).toMatchObject({ ok: 1, unavailable: 0 });
  expect(expo.receiptRequests).toEqual([{ ids: expect.any(Array), authorization: `Bearer ${EXPO_ACCESS_TOKEN}` }]);
});

it('Expo and OneSignal credentials answer fingerprints, never the access token or API key', async () => {
  const list = (await request(t.app).get('/credentials').set(bearer(KEY_A)).expect(200)).body.credentials;
  const text = JSON.stringify(list);
  expect(text).not.toContain(EXPO_ACCESS_TOKEN);
  expect(text).not.toContain(ONESIGNAL_KEY);
  expect(list.find((c: { credential_id: string }) => c.credential_id === 'expo')).toMatchObject({ provider_key: 'expo', has_access_token: true, key_sha256: expect.any(String) });
  expect(list.find((c: { credential_id: string }) => c.credential_id === 'onesignal')).toMatchObject({ provider_key: 'onesignal', app_id: ONESIGNAL_APP });
  const stored = JSON.stringify(await t.connection.db!.collection('credentials').find().toArray());
  expect(stored).not.toContain(EXPO_ACCESS_TOKEN);
  expect(stored).not.toContain(ONESIGNAL_KEY);
});

it('a OneSignal credential with a malformed app id, or an app naming a credential of another provider, is a 400 naming the field', async () => {
  const bad = await request(t.app).put('/credentials/os-bad').set(bearer(KEY_A)).send({ provider_key: 'onesignal', app_id: 'nope', api_key: ONESIGNAL_KEY }).expect(400);
  expect(JSON.stringify(bad.body)).toContain('app_id');
  const wrong = await request(t.app).put('/apps/com.example.mixed').set(bearer(KEY_A)).send({ expo: { credential_id: 'onesignal' } }).expect(400);
  expect(JSON.stringify(wrong.body)).toMatch(/expo\.credential_id.*onesignal credential/);
});
