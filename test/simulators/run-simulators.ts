import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApnsSimulator } from './apns-simulator';
import { makeApnsKey, makeServiceAccount, makeTestCredentials } from './credentials';
import { FcmSimulator } from './fcm-simulator';
import { OneSignalSimulator } from './onesignal-simulator';
import { ExpoSimulator } from './expo-simulator';
import { SIMULATOR_CA_FILE } from './sim-server';
import { WebPushSimulator } from './webpush-simulator';
import { generateVapidKeys } from '../../src/providers/webpush-vapid';

/**
 * `npm run simulators [-- --apns-port 8443 --fcm-port 9443 --onesignal-port 7443 --expo-port 6443 --webpush-port 5443 --apps N]`: the simulators on their own,
 * for a person to send through. Prints the environment that points the service at them.
 * Stage an answer for a token with:
 *   curl --cacert test/simulators/certs/ca.pem --http2 -X POST https://127.0.0.1:8443/__stage \
 *     -d '{"token":"<hex>","answer":{"status":410,"reason":"Unregistered","timestamp":0}}'
 * With `--apps N`, the simulators also know N more Apple teams (one app each, topic
 * com.sim.app<i>) and N more Firebase projects (sim-project-<i>); their keys are written to
 * <dir>/apps.json, ready to PUT through /credentials.
 */
function flag(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
}

async function main(): Promise<void> {
  const dir = path.resolve(flag('dir', '.data/simulators'));
  mkdirSync(dir, { recursive: true });
  const creds = makeTestCredentials(dir);
  const count = Number(flag('apps', '0'));
  const apps = Array.from({ length: count }, (_, i) => {
    const id = String(i).padStart(4, '0');
    return { appId: `com.sim.app${i}`, apns: makeApnsKey(`SIMKEY${id}`.slice(0, 10).padEnd(10, 'X'), `TEAM${id}`.padEnd(10, 'X'), [`com.sim.app${i}`]), fcm: makeServiceAccount(`sim-project-${i}`) };
  });
  const apns = await ApnsSimulator.start({ ...creds.apns, port: Number(flag('apns-port', '8443')), keys: apps.map((a) => a.apns) });
  const fcm = await FcmSimulator.start({ ...creds.fcm, port: Number(flag('fcm-port', '9443')), projects: apps.map((a) => a.fcm) });
  const onesignalApp = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';
  const onesignalKey = 'os_v2_app_simulatorkey0123456789';
  const onesignal = await OneSignalSimulator.start({ appId: onesignalApp, apiKey: onesignalKey, port: Number(flag('onesignal-port', '7443')) });
  // Receipts become ready a minute after the send here (Expo: up to 15 minutes), so a person can watch the checker work.
  const expo = await ExpoSimulator.start({ port: Number(flag('expo-port', '6443')), receiptDelayMs: 60_000 });
  const webpush = await WebPushSimulator.start({ port: Number(flag('webpush-port', '5443')) });
  const vapid = generateVapidKeys();
  if (count > 0) {
    writeFileSync(
      path.join(dir, 'apps.json'),
      JSON.stringify(apps.map((a) => ({ app_id: a.appId, apn: { team_id: a.apns.teamId, key_id: a.apns.keyId, key: a.apns.pem }, service_account: a.fcm.json }))),
      { mode: 0o600 },
    );
  }
  const lines = [
    `APNs simulator: ${apns.url}   FCM simulator: ${fcm.url}   OneSignal simulator: ${onesignal.url}   Expo simulator: ${expo.url}   Web Push simulator: ${webpush.url}`,
    'Run the service against them with:',
    '',
    `export NODE_EXTRA_CA_CERTS=${path.relative(process.cwd(), SIMULATOR_CA_FILE)}`,
    `export APNS_KEY_FILE=${creds.apns.keyFile} APNS_KEY_ID=${creds.apns.keyId} APNS_TEAM_ID=${creds.apns.teamId}`,
    `export APNS_TOPIC=${creds.apns.topic} APNS_ENDPOINT=${apns.url}`,
    `export FCM_SERVICE_ACCOUNT_FILE=${creds.fcm.serviceAccountFile} FCM_ENDPOINT=${fcm.url}`,
    `export ONESIGNAL_APP_ID=${onesignalApp} ONESIGNAL_API_KEY=${onesignalKey} ONESIGNAL_ENDPOINT=${onesignal.url}`,
    `export EXPO_BASE_URL=${expo.url} EXPO_RECEIPT_DELAY=1m EXPO_RECEIPT_INTERVAL=30s`,
    `export WEBPUSH_VAPID_PUBLIC_KEY=${vapid.publicKey} WEBPUSH_VAPID_PRIVATE_KEY=${vapid.privateKey} WEBPUSH_SUBJECT=mailto:dev@example.com`,
    '# The Web Push simulator is on 127.0.0.1: allowed only with these two (never in production).',
    'export WEBPUSH_ALLOWED_HOSTS=127.0.0.1:* WEBPUSH_ALLOW_PRIVATE=true',
    '',
    `Web Push: POST ${webpush.url}/__subscribe {"application_server_key": "${vapid.publicKey}"} answers a subscription {endpoint, keys} to register;`,
    `  GET ${webpush.url}/__last?endpoint=<endpoint> shows the last push it decrypted; POST /__stage {"endpoint", "answer": {"status": 410}}.`,
    `Expo: POST ${expo.url}/__stage {"token": "ExponentPushToken[...]", "receipt": {"status": "error", "error": "DeviceNotRegistered"}}`,
    'Stage answers: POST /__stage {"token": "...", "answer": {...}} on either simulator (see docs/providers.md).',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = async () => {
    await Promise.all([apns.close(), fcm.close(), onesignal.close(), expo.close(), webpush.close()]);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

void main();
