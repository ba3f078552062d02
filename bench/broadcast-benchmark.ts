import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { BSON, MongoClient, ObjectId } from 'mongodb';
import { SIMULATOR_CA_FILE } from '../test/simulators/sim-server';
import { generateVapidKeys } from '../src/providers/webpush-vapid';
import { ROOT, startProcess, startService, type Proc } from './lib/procs';
import { median, round, spread } from './lib/stats';

/**
 * Broadcast (issue 30): one POST /send to an audience of N tokens across all five providers (30%
 * APNs, 30% FCM, 15% Expo, 15% OneSignal, 10% Web Push; 10% of each staged dead), with no rate
 * limit, against the raw client (bench/baseline/raw-push-client.ts) sending the same
 * notifications to the same simulators. Timed from the send to the message's SENT, with one
 * service replica and with two on one database, in alternating rounds. Counts the dead tokens
 * invalidated, and the bytes a broadcast keeps per delivered token.
 */
const KEY = 'sk_bench_broadcast_0123456789';
const HEADERS = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const WORKSPACE = 'ws_broadcast';
const APNS_IN_FLIGHT = 500;
const FCM_BATCHES = 2;

function control(url: string, pathname: string, body?: unknown): Promise<unknown> {
  const ca = readFileSync(SIMULATOR_CA_FILE);
  return new Promise((resolve, reject) => {
    const req = https.request(`${url}${pathname}`, { method: body === undefined && pathname === '/__stats' ? 'GET' : 'POST', ca }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(text ? JSON.parse(text) : undefined));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

type Token = { token: string; provider_key: string; keys?: { p256dh: string; auth: string } };

export async function broadcastBenchmark(options: { mongoUri: string; node: string; rounds: number; tokens: number; log: (line: string) => void }) {
  const credsDir = path.join(os.tmpdir(), `bench-broadcast-sims-${process.pid}`);
  const { proc: sims, match } = await startProcess(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/simulators/run-simulators.ts'), '--apns-port', '0', '--fcm-port', '0', '--onesignal-port', '0', '--expo-port', '0', '--webpush-port', '0', '--dir', credsDir], {
    core: 1,
    ready: /APNs simulator: (\S+)\s+FCM simulator: (\S+)\s+OneSignal simulator: (\S+)\s+Expo simulator: (\S+)\s+Web Push simulator: (\S+)/,
  });
  const [apnsUrl, fcmUrl, oneSignalUrl, expoUrl, webPushUrl] = [match[1]!, match[2]!, match[3]!, match[4]!, match[5]!];
  const oneSignal = { appId: 'f47ac10b-58cc-4372-a567-0e02b2c3d479', apiKey: 'os_v2_app_simulatorkey0123456789' };
  const vapid = { ...generateVapidKeys(), subject: 'mailto:bench@example.com' };
  const creds = { keyFile: path.join(credsDir, 'AuthKey_SIMKEY0001.p8'), keyId: 'SIMKEY0001', teamId: 'SIMTEAM001', topic: 'com.example.pushsim', serviceAccountFile: path.join(credsDir, 'service-account.json') };
  const serviceEnv = {
    NODE_EXTRA_CA_CERTS: SIMULATOR_CA_FILE, MONGODB_URI: options.mongoUri, API_KEYS: `${WORKSPACE}:${KEY}`,
    APNS_KEY_FILE: creds.keyFile, APNS_KEY_ID: creds.keyId, APNS_TEAM_ID: creds.teamId, APNS_TOPIC: creds.topic, APNS_ENDPOINT: apnsUrl, APNS_MAX_IN_FLIGHT: String(APNS_IN_FLIGHT),
    FCM_SERVICE_ACCOUNT_FILE: creds.serviceAccountFile, FCM_ENDPOINT: fcmUrl, FCM_CONCURRENT_BATCHES: String(FCM_BATCHES),
    EXPO_BASE_URL: expoUrl,
    ONESIGNAL_APP_ID: oneSignal.appId, ONESIGNAL_API_KEY: oneSignal.apiKey, ONESIGNAL_ENDPOINT: oneSignalUrl,
    WEBPUSH_VAPID_PUBLIC_KEY: vapid.publicKey, WEBPUSH_VAPID_PRIVATE_KEY: vapid.privateKey, WEBPUSH_SUBJECT: vapid.subject, WEBPUSH_ALLOWED_HOSTS: '127.0.0.1:*', WEBPUSH_ALLOW_PRIVATE: 'true',
    // No rate limit: the benchmark measures the engine, not the providers' pace.
    BROADCAST_RATE_EXPO: '0', BROADCAST_RATE_FCM: '0', BROADCAST_RATE_APNS: '0', BROADCAST_RATE_ONESIGNAL: '0', BROADCAST_RATE_WEBPUSH: '0',
    BROADCAST_INTERVAL: '100ms',
  };

  // The audience: N tokens straight into the collection (as an import would), with last_used_at now (a daily broadcast's usual case).
  const n = options.tokens;
  const subscriptions = (await control(webPushUrl, '/__subscribe', { application_server_key: vapid.publicKey, count: Math.round(n * 0.1) + 20 })) as { endpoint: string; keys: { p256dh: string; auth: string } }[];
  const warmSubscriptions = subscriptions.splice(0, 20);
  const tokens: Token[] = [];
  for (let i = 0; tokens.length < n; i++) {
    const slot = i % 20;
    if (slot < 6) tokens.push({ token: i.toString(16).padStart(64, '0'), provider_key: 'apn' });
    else if (slot < 12) tokens.push({ token: `bc${i}:APA91b${'F'.repeat(140)}`, provider_key: 'firebase-fcm' });
    else if (slot < 15) tokens.push({ token: `ExponentPushToken[bc${i}xxxxxxxxxxxxxxxx]`, provider_key: 'expo' });
    else if (slot < 18) tokens.push({ token: randomUUID(), provider_key: 'onesignal' });
    else {
      const subscription = subscriptions.pop();
      if (subscription) tokens.push({ token: subscription.endpoint, provider_key: 'webpush', keys: subscription.keys });
    }
  }
  const of = (key: string) => tokens.filter((t) => t.provider_key === key);
  const deadOf = (key: string) => of(key).filter((_, i) => i % 10 === 0).map((t) => t.token);
  const dead = { apn: deadOf('apn'), fcm: deadOf('firebase-fcm'), expo: deadOf('expo'), onesignal: deadOf('onesignal'), webpush: deadOf('webpush') };
  const deadCount = Object.values(dead).reduce((sum, list) => sum + list.length, 0);
  const mix = Object.fromEntries(['apn', 'firebase-fcm', 'expo', 'onesignal', 'webpush'].map((key) => [key, of(key).length]));

  const client = await MongoClient.connect(options.mongoUri);
  const collection = client.db().collection('tokens');
  const now = new Date();
  // A small audience of its own warms each replica's provider connections before the rounds.
  const warm: Token[] = [
    ...Array.from({ length: 50 }, (_, i) => ({ token: `e${i.toString(16).padStart(63, '0')}`, provider_key: 'apn' })),
    ...Array.from({ length: 50 }, (_, i) => ({ token: `warm${i}:APA91b${'F'.repeat(140)}`, provider_key: 'firebase-fcm' })),
    ...Array.from({ length: 20 }, (_, i) => ({ token: `ExponentPushToken[warm${i}xxxxxxxxxxxxxxxx]`, provider_key: 'expo' })),
    ...Array.from({ length: 20 }, () => ({ token: randomUUID(), provider_key: 'onesignal' })),
    ...warmSubscriptions.map((s) => ({ token: s.endpoint, provider_key: 'webpush', keys: s.keys })),
  ];
  await collection.insertMany(warm.map((t, i) => ({ _id: new ObjectId(), workspace_id: WORKSPACE, user_id: `warm-${i}`, ...t, status: 'active', revision: 0, device: { app_id: 'bench.warm' }, created_at: now, updated_at: now, last_used_at: now })));
  for (let from = 0; from < tokens.length; from += 5_000) {
    await collection.insertMany(
      tokens.slice(from, from + 5_000).map((t, i) => ({ _id: new ObjectId(), workspace_id: WORKSPACE, user_id: `bc-${from + i}`, ...t, status: 'active', revision: 0, device: { app_id: 'bench.app' }, created_at: now, updated_at: now, last_used_at: now })),
      { ordered: false },
    );
  }
  const rawConfigFile = path.join(credsDir, 'raw-broadcast-config.json');
  writeFileSync(
    rawConfigFile,
    JSON.stringify({
      apns: { url: apnsUrl, keyFile: creds.keyFile, keyId: creds.keyId, teamId: creds.teamId, topic: creds.topic, tokens: of('apn').map((t) => t.token), inFlight: APNS_IN_FLIGHT },
      fcm: { url: fcmUrl, serviceAccountFile: creds.serviceAccountFile, tokens: of('firebase-fcm').map((t) => t.token), batches: FCM_BATCHES },
      expo: { url: expoUrl, tokens: of('expo').map((t) => t.token), concurrency: 6 },
      webpush: { subscriptions: of('webpush').map((t) => ({ endpoint: t.token, keys: t.keys! })), vapid, connections: 32 },
      onesignal: { url: oneSignalUrl, ...oneSignal, ids: of('onesignal').map((t) => t.token), concurrency: 4 },
    }),
  );
  const stage = async () => {
    for (const url of [apnsUrl, fcmUrl, expoUrl, webPushUrl, oneSignalUrl]) await control(url, '/__reset', {});
    await control(apnsUrl, '/__stage', { tokens: dead.apn, answer: { status: 410, reason: 'Unregistered', timestamp: Date.now() + 86_400_000 } });
    await control(fcmUrl, '/__stage', { tokens: dead.fcm, answer: { errorCode: 'UNREGISTERED' } });
    await control(expoUrl, '/__stage', { tokens: dead.expo, ticket: { status: 'error', error: 'DeviceNotRegistered' } });
    await control(webPushUrl, '/__stage', { endpoints: dead.webpush, answer: { status: 410 } });
    await control(oneSignalUrl, '/__state', { ids: dead.onesignal, state: 'unsubscribed' });
    // Every round starts from live tokens.
    await collection.updateMany({ workspace_id: WORKSPACE }, { $set: { status: 'active' } });
  };

  const services: Proc[] = [];
  const start = async () => {
    const service = await startService({ node: options.node, core: 0, env: serviceEnv });
    services.push(service.proc);
    return service;
  };
  const one = await start();
  for (const [id, app] of [['everyone', 'bench.app'], ['warm-up', 'bench.warm']] as const) {
    const res = await fetch(`${one.url}/audiences/${id}`, { method: 'PUT', headers: HEADERS, body: JSON.stringify({ name: id, filter: { filters: [{ operator: 'EQ', path: 'device.app_id', value: app }] } }) });
    if (res.status !== 200) throw new Error(`audience: ${res.status} ${await res.text()}`);
  }

  let failedReads = 0;
  const runOurs = async (url: string, audience = 'everyone') => {
    await stage();
    const started = process.hrtime.bigint();
    const sent = await fetch(`${url}/send`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ message: { to: { audience_id: audience }, content: { title: 'Benchmark', body: 'Hello' } } }) });
    if (sent.status !== 202) throw new Error(`POST /send answered ${sent.status}: ${await sent.text()}`);
    const { requestId } = (await sent.json()) as { requestId: string };
    for (;;) {
      // A read that fails (the database busy with the broadcast) is read again: only a final status ends the wait.
      const res = await fetch(`${url}/messages/${requestId}`, { headers: HEADERS }).catch(() => undefined);
      const message = res?.ok ? ((await res.json()) as { status: string; progress: { delivered: number; invalidated: number; retryable: number; possibly_duplicated: number; total: number } }) : undefined;
      if (message && ['SENT', 'UNDELIVERABLE', 'CANCELED'].includes(message.status)) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        return { ms, requestId, ...message.progress };
      }
      if (!res?.ok) {
        if (failedReads++ === 0) options.log(`  a progress read failed while the broadcast ran: ${res ? `${res.status} ${(await res.text()).slice(0, 200)}` : 'no answer'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const runRaw = async () => {
    await stage();
    const { proc, match: done } = await startProcess(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/baseline/raw-push-client.ts'), rawConfigFile], { core: 0, env: { NODE_EXTRA_CA_CERTS: SIMULATOR_CA_FILE }, ready: /raw client done in ([\d.]+) ms/ });
    await proc.stop();
    return Number(done[1]);
  };

  type Round = { raw_ms: number; one_ms: number; two_ms: number; one_ratio: number; two_ratio: number; invalidated_one: number; invalidated_two: number; retryable_one: number; retryable_two: number };
  const rounds: Round[] = [];
  let lastId = '';
  try {
    // Unmeasured first: the first send of a process opens its provider connections (a small audience of its own, for each replica).
    await runOurs(one.url, 'warm-up');
    const two = await start();
    one.proc.child.kill('SIGSTOP');
    await runOurs(two.url, 'warm-up');
    one.proc.child.kill('SIGCONT');
    for (let r = 0; r < options.rounds; r++) {
      // Ours first, then raw; the next round the other way round.
      const first = r % 2 === 0;
      const rawBefore = first ? undefined : await runRaw();
      // One replica: the second is paused (SIGSTOP) between broadcasts, so it holds no claim and takes none; then both share one.
      two.proc.child.kill('SIGSTOP');
      const o = await runOurs(one.url);
      two.proc.child.kill('SIGCONT');
      const t = await runOurs(one.url);
      lastId = t.requestId;
      const rawMs = rawBefore ?? (await runRaw());
      rounds.push({
        raw_ms: round(rawMs, 1), one_ms: round(o.ms, 1), two_ms: round(t.ms, 1),
        one_ratio: round(rawMs / o.ms), two_ratio: round(rawMs / t.ms),
        invalidated_one: o.invalidated, invalidated_two: t.invalidated, retryable_one: o.retryable, retryable_two: t.retryable,
      });
      options.log(`broadcast round ${r + 1}: one replica ${Math.round((n / o.ms) * 1000)}/s (${o.ms.toFixed(0)} ms), two ${Math.round((n / t.ms) * 1000)}/s (${t.ms.toFixed(0)} ms), raw ${Math.round((n / rawMs) * 1000)}/s (${rawMs.toFixed(0)} ms); invalidated ${o.invalidated} and ${t.invalidated} of ${deadCount}`);
    }
    const kept = await keptBytes(client, lastId, n - deadCount);
    return {
      tokens: n,
      dead: deadCount,
      mix,
      one_replica_ratio_median: median(rounds.map((r) => r.one_ratio)),
      one_replica_ratio_spread: spread(rounds.map((r) => r.one_ratio)),
      two_replicas_ratio_median: median(rounds.map((r) => r.two_ratio)),
      two_replicas_ratio_spread: spread(rounds.map((r) => r.two_ratio)),
      one_replica_per_s_median: Math.round(median(rounds.map((r) => (n / r.one_ms) * 1000))),
      two_replicas_per_s_median: Math.round(median(rounds.map((r) => (n / r.two_ms) * 1000))),
      raw_per_s_median: Math.round(median(rounds.map((r) => (n / r.raw_ms) * 1000))),
      every_dead_invalidated: rounds.every((r) => r.invalidated_one === deadCount && r.invalidated_two === deadCount),
      no_retryable: rounds.every((r) => r.retryable_one === 0 && r.retryable_two === 0),
      // GET /messages/:id answers that failed while a broadcast ran (each was read again).
      failed_progress_reads: failedReads,
      kept,
      per_round: rounds,
    };
  } finally {
    for (const service of services) {
      service.child.kill('SIGCONT');
      await service.stop();
    }
    await client.close();
    await sims.stop();
  }
}

/** What one broadcast keeps for MESSAGE_RETENTION: its message, its broadcast, its chunks and its failures, in BSON bytes, and per delivered token. */
async function keptBytes(client: MongoClient, id: string, delivered: number) {
  const db = client.db();
  const size = (docs: object[]) => docs.reduce((sum, doc) => sum + BSON.calculateObjectSize(doc), 0);
  const message = size(await db.collection('messages').find({ _id: id as never }).toArray());
  const broadcast = size(await db.collection('broadcasts').find({ _id: id as never }).toArray());
  const chunkDocs = await db.collection('broadcast_chunks').find({ broadcast_id: id }).toArray();
  const failureDocs = await db.collection('broadcast_failures').find({ broadcast_id: id }).toArray();
  const chunks = size(chunkDocs);
  const failures = size(failureDocs);
  return {
    message_bytes: message,
    broadcast_bytes: broadcast,
    chunks: chunkDocs.length,
    chunk_bytes_mean: Math.round(chunks / Math.max(1, chunkDocs.length)),
    failures: failureDocs.length,
    failure_bytes_mean: Math.round(failures / Math.max(1, failureDocs.length)),
    bytes_per_delivered_token: round((message + broadcast + chunks) / Math.max(1, delivered), 2),
    bytes_per_delivered_token_with_failures: round((message + broadcast + chunks + failures) / Math.max(1, delivered), 2),
  };
}
