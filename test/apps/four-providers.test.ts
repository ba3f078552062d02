import request from 'supertest';
import { startAllProviders, type AllProviders } from '../support/all-providers';
import { bearer, KEY_A } from '../support/test-app';

/**
 * One user with one token of each of Courier's four provider_keys, one app whose four
 * credentials were put through the API (no instance-wide credentials): one POST /send delivers
 * through all four providers, and the Expo receipt is read later with the app's access token.
 */
let four: AllProviders;
let clock = Date.now();
beforeAll(async () => {
  four = await startAllProviders({ now: () => new Date(clock) });
}, 60_000);
afterAll(async () => {
  await four.close();
});

it('one POST /send delivers through APNs, FCM, Expo and OneSignal, each with the app’s own credential', async () => {
  const { apns, fcm, expo, onesignal, t } = four;
  const tokens = await four.register('four');
  const report = (await request(t.app).post('/send').set(bearer(KEY_A)).send({ message: { to: { user_id: 'four' }, content: { title: 'Hi', body: 'all four' } } }).expect(200)).body;
  expect(report.summary).toEqual({ delivered: 4, invalidated: 0, failed: 0, skipped: 0 });
  expect(new Set(report.results.map((r: { provider_key: string; outcome: string }) => `${r.provider_key}:${r.outcome}`))).toEqual(
    new Set(['apn:delivered', 'firebase-fcm:delivered', 'expo:delivered', 'onesignal:delivered']),
  );
  expect(apns.counters.requests).toBe(1);
  expect(fcm.counters.requests).toBeGreaterThanOrEqual(1);
  expect(expo.sends).toEqual([expect.objectContaining({ recipients: [tokens.expo], authorization: `Bearer ${four.expoAccessToken}` })]);
  expect(onesignal.received).toEqual([expect.objectContaining({ ids: [tokens.onesignal] })]);
  expect(onesignal.received[0]!.body.app_id).toBe(four.onesignalApp);
  expect(t.providerClients.counts()).toEqual({ apn: 1, 'firebase-fcm': 1, expo: 1, onesignal: 1, webpush: 0 });

  // The receipt is read with the same app credential's access token.
  clock += 16 * 60_000;
  expo.clock = clock;
  expect(await t.receipts.runOnce()).toMatchObject({ ok: 1, unavailable: 0 });
  expect(expo.receiptRequests).toEqual([{ ids: expect.any(Array), authorization: `Bearer ${four.expoAccessToken}` }]);
});

it('Expo and OneSignal credentials answer fingerprints, never the access token or API key', async () => {
  const { t, expoAccessToken: EXPO_ACCESS_TOKEN, onesignalKey: ONESIGNAL_KEY, onesignalApp: ONESIGNAL_APP } = four;
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
  const { t, onesignalKey: ONESIGNAL_KEY } = four;
  const bad = await request(t.app).put('/credentials/os-bad').set(bearer(KEY_A)).send({ provider_key: 'onesignal', app_id: 'nope', api_key: ONESIGNAL_KEY }).expect(400);
  expect(JSON.stringify(bad.body)).toContain('app_id');
  const wrong = await request(t.app).put('/apps/com.example.mixed').set(bearer(KEY_A)).send({ expo: { credential_id: 'onesignal' } }).expect(400);
  expect(JSON.stringify(wrong.body)).toMatch(/expo\.credential_id.*onesignal credential/);
});
