import { createTestApp, KEY_A, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';

/** Every push field and override of POST /send is validated with a 400 that names it (issue 20); nothing is sent. */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const to = { user_id: 'validation-user' };
it.each<[string, object, string]>([
  ['an image that is not https', { push: { image: 'http://cdn.example.com/a.png' } }, 'message.push.image'],
  ['an image that is not a URL', { push: { image: 'parcel.png' } }, 'message.push.image'],
  ['a relevance score above 1', { push: { relevance_score: 1.5 } }, 'message.push.relevance_score'],
  ['a relevance score below 0', { push: { relevance_score: -0.1 } }, 'message.push.relevance_score'],
  ['an unknown interruption level', { push: { interruption_level: 'urgent' } }, 'message.push.interruption_level'],
  ['content_available that is not a boolean', { push: { content_available: 1 } }, 'message.push.content_available'],
  ['a colour that is not #RRGGBB', { push: { android: { color: 'orange' } } }, 'message.push.android.color'],
  ['an unknown android field', { push: { android: { vibrate: true } } }, 'message.push.android.vibrate'],
  ['title_loc_args without title_loc_key', { push: { localization: { title_loc_args: ['a'] } } }, 'message.push.localization.title_loc_args'],
  ['loc_args without loc_key', { push: { localization: { loc_args: ['a'] } } }, 'message.push.localization.loc_args'],
  ['ttl and expiration together', { push: { ttl: 60, expiration: '2026-12-01T00:00:00Z' } }, 'message.push.expiration'],
  ['an expiration that is not a time', { push: { expiration: 'tomorrow' } }, 'message.push.expiration'],
  ['an empty category', { push: { category: '' } }, 'message.push.category'],
  ['a reserved data key', { data: { aps: { x: 1 } } }, 'message.data.aps'],
  ['a provider this service does not have', { providers: { sendgrid: { override: {} } } }, 'message.providers.sendgrid'],
  ['an unknown field of a provider entry', { providers: { apn: { overide: {} } } }, 'message.providers.apn.overide'],
  ['an APNs override that retargets the topic', { providers: { apn: { override: { headers: { 'apns-topic': 'com.other' } } } } }, 'message.providers.apn.override.headers.apns-topic'],
  ['an FCM override with another token', { providers: { 'firebase-fcm': { override: { token: 'someone-else' } } } }, 'message.providers.firebase-fcm.override.token'],
  ['an FCM override with a topic', { providers: { 'firebase-fcm': { override: { topic: 'all' } } } }, 'message.providers.firebase-fcm.override.topic'],
  ['an Expo override with another recipient', { providers: { expo: { override: { to: 'ExponentPushToken[x]' } } } }, 'message.providers.expo.override.to'],
  ['a OneSignal override with another app', { providers: { onesignal: { override: { app_id: 'x' } } } }, 'message.providers.onesignal.override.app_id'],
  ['a OneSignal override with other recipients', { providers: { onesignal: { override: { include_aliases: {} } } } }, 'message.providers.onesignal.override.include_aliases'],
])('%s: a 400 naming %s', async (_name, message, path) => {
  const answer = await apiClient(t.app, KEY_A).send({ to, content: { title: 'x' }, ...message }).expect(400);
  expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain(path);
});

it('Courier’s other per-provider keys (if, metadata, timeouts) are accepted and ignored', async () => {
  await apiClient(t.app, KEY_A).send({ to, content: { title: 'x' }, providers: { apn: { if: 'data.vip', metadata: { tags: ['a'] }, timeouts: { provider: 1000 } } } }).expect(200);
});

it('nested data of any JSON is accepted', async () => {
  await apiClient(t.app, KEY_A).send({ to, data: { a: { b: [1, { c: null }] }, n: 1.5, t: true } }).expect(200);
});
