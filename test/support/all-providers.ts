import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { ApnsSimulator } from '../simulators/apns-simulator';
import { makeApnsKey, makeServiceAccount, makeTestCredentials } from '../simulators/credentials';
import { ExpoSimulator } from '../simulators/expo-simulator';
import { FcmSimulator } from '../simulators/fcm-simulator';
import { OneSignalSimulator } from '../simulators/onesignal-simulator';
import { WebPushSimulator } from '../simulators/webpush-simulator';
import { generateVapidKeys } from '../../src/providers/webpush-vapid';
import { bearer, createTestApp, KEY_A, type TestApp } from './test-app';
import type { BroadcastConfig } from '../../src/config';

/**
 * The five simulators, and one app whose five credentials were put through the API (no
 * instance-wide credentials), so one POST /send reaches every provider through the real SDKs.
 * `register` registers one token of each of Courier's four providers for a user, and
 * `subscribe` a Web Push subscription (made with the app's VAPID public key, as a page would).
 */
export type AllProviders = {
  apns: ApnsSimulator;
  fcm: FcmSimulator;
  expo: ExpoSimulator;
  onesignal: OneSignalSimulator;
  webpush: WebPushSimulator;
  /** The app's VAPID key pair, as its webpush credential holds it. */
  vapid: { publicKey: string; privateKey: string; subject: string };
  t: TestApp;
  app: string;
  onesignalApp: string;
  onesignalKey: string;
  expoAccessToken: string;
  register: (user: string) => Promise<{ apn: string; 'firebase-fcm': string; expo: string; onesignal: string }>;
  /** A browser subscribes with the app's public key, and the page registers it for `user` (through Courier's API). */
  subscribe: (user: string) => Promise<{ endpoint: string; keys: { p256dh: string; auth: string } }>;
  reset: () => void;
  close: () => Promise<void>;
};

export async function startAllProviders(options: { now?: () => Date; broadcast?: Partial<BroadcastConfig> } = {}): Promise<AllProviders> {
  const team = makeApnsKey('KEYRN00001', 'TEAMRN0001', ['com.example.rn']);
  const project = makeServiceAccount('project-rn');
  const base = makeTestCredentials();
  const onesignalApp = randomUUID();
  const onesignalKey = 'os_v2_app_rn_key_0123456789';
  const expoAccessToken = 'expo-access-token-rn-0123';
  const apns = await ApnsSimulator.start({ ...base.apns, keys: [team] });
  const fcm = await FcmSimulator.start({ ...base.fcm, projects: [project] });
  const expo = await ExpoSimulator.start({ accessToken: expoAccessToken });
  const onesignal = await OneSignalSimulator.start({ appId: onesignalApp, apiKey: onesignalKey });
  const webpush = await WebPushSimulator.start();
  const vapid = { ...generateVapidKeys(), subject: 'mailto:push@example.com' };
  const t = await createTestApp({
    delivery: {
      endpoints: { apns: new URL(apns.url), apnsSandbox: new URL(apns.url), fcm: new URL(fcm.url), expo: new URL(expo.url), onesignal: new URL(onesignal.url) },
      fcmBatchTimeoutMs: 20_000,
      // The simulator listens on 127.0.0.1: allowed here, never under the defaults.
      webpush: { endpoints: { allowedHosts: ['127.0.0.1:*'], allowPrivate: true }, connectionsPerHost: 8, timeoutMs: 10_000 },
    },
    ...(options.now ? { now: options.now } : {}),
    ...(options.broadcast ? { broadcast: options.broadcast } : {}),
    expoReceipts: { delayMs: 15 * 60_000, intervalMs: 60_000 },
  });
  const app = 'com.example.rn';
  const put = (path: string, body: object) => request(t.app).put(path).set(bearer(KEY_A)).send(body).expect(201);
  await put('/credentials/team', { provider_key: 'apn', team_id: team.teamId, key_id: team.keyId, key: team.pem });
  await put('/credentials/project', { provider_key: 'firebase-fcm', service_account: project.json });
  await put('/credentials/expo', { provider_key: 'expo', access_token: expoAccessToken });
  await put('/credentials/onesignal', { provider_key: 'onesignal', app_id: onesignalApp, api_key: onesignalKey });
  await put('/credentials/vapid', { provider_key: 'webpush', vapid_public_key: vapid.publicKey, vapid_private_key: vapid.privateKey, subject: vapid.subject });
  await put(`/apps/${app}`, { apn: { credential_id: 'team' }, 'firebase-fcm': { credential_id: 'project' }, expo: { credential_id: 'expo' }, onesignal: { credential_id: 'onesignal' }, webpush: { credential_id: 'vapid' } });
  let serial = 0;
  return {
    apns, fcm, expo, onesignal, webpush, vapid, t, app, onesignalApp, onesignalKey, expoAccessToken,
    register: async (user) => {
      serial++;
      const tokens = {
        apn: randomBytes(32).toString('hex'),
        'firebase-fcm': `rn:APA91b-${randomBytes(12).toString('hex')}`,
        expo: `ExponentPushToken[rn-four-providers-${String(serial).padStart(4, '0')}]`,
        onesignal: randomUUID(),
      };
      for (const [provider_key, token] of Object.entries(tokens)) {
        await request(t.app).put(`/users/${encodeURIComponent(user)}/tokens/${encodeURIComponent(token)}`).set(bearer(KEY_A)).send({ provider_key, device: { app_id: app } }).expect(204);
      }
      return tokens;
    },
    subscribe: async (user) => {
      const subscription = webpush.subscribe(vapid.publicKey);
      await request(t.app)
        .put(`/users/${encodeURIComponent(user)}/tokens/${encodeURIComponent(subscription.endpoint)}`)
        .set(bearer(KEY_A))
        .send({ provider_key: 'webpush', keys: subscription.keys, device: { app_id: app, platform: 'web' } })
        .expect(204);
      return subscription;
    },
    reset: () => {
      apns.reset();
      fcm.reset();
      expo.reset();
      onesignal.reset();
      webpush.reset();
    },
    close: async () => {
      await t.close();
      await Promise.all([apns.close(), fcm.close(), expo.close(), onesignal.close(), webpush.close()]);
    },
  };
}
