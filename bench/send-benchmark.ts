import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { SIMULATOR_CA_FILE } from '../test/simulators/sim-server';
import { BSON, MongoClient } from 'mongodb';
import { ROOT, startProcess, startService } from './lib/procs';
import { generateVapidKeys } from '../src/providers/webpush-vapid';
import { median, round, spread } from './lib/stats';

/**
 * Send: N tokens (40% APNs, 30% FCM, 20% Expo, 10% Web Push; 10% of each staged dead) through
 * POST /send, against a raw client sending the same requests to the same simulators. Service
 * and raw client each on core 0; the simulators on core 1.
 */
const KEY = 'sk_bench_send_0123456789';
const HEADERS = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const APNS_IN_FLIGHT = 500;
const FCM_BATCHES = 2;

type Stats = { inFlight: number; maxInFlight: number; sessions: number; openSessions: number; requests: number };

/** The simulators' control endpoints, over HTTPS with the test CA. */
function control(url: string, pathname: string, body?: unknown): Promise<unknown> {
  const ca = readFileSync(SIMULATOR_CA_FILE);
  return new Promise((resolve, reject) => {
    const req = https.request(`${url}${pathname}`, { method: pathname === '/__stats' ? 'GET' : 'POST', ca }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(text ? JSON.parse(text) : undefined));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * With `withoutMessages`, the same send also goes through the service as it was before the
 * message log (a build of that commit, bench/lib/baseline-build.ts), against the same
 * simulators and raw client in the same rounds: the log's cost is the difference of the two
 * ratios. That build predates Web Push, so the mix then leaves Web Push out, for every service
 * alike. The bytes each message takes in MongoDB are measured after the rounds.
 */
export async function sendBenchmark(options: { mongoUri: string; node: string; rounds: number; tokens: number; log: (line: string) => void; withoutMessages?: { root: string; commit: string }; withWebhooks?: boolean }) {
  const credsDir = path.join(os.tmpdir(), `bench-sims-${process.pid}`);
  const { proc: sims, match } = await startProcess(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/simulators/run-simulators.ts'), '--apns-port', '0', '--fcm-port', '0', '--onesignal-port', '0', '--expo-port', '0', '--webpush-port', '0', '--dir', credsDir], {
    core: 1,
    ready: /APNs simulator: (\S+)\s+FCM simulator: (\S+).*Expo simulator: (\S+)\s+Web Push simulator: (\S+)/,
  });
  const [apnsUrl, fcmUrl, expoUrl, webPushUrl] = [match[1]!, match[2]!, match[3]!, match[4]!];
  const withWebPush = !options.withoutMessages;
  if (!withWebPush) options.log('send: Web Push left out of the mix, for every service alike (the build without the message log predates it)');
  const vapid = { ...generateVapidKeys(), subject: 'mailto:bench@example.com' };
  const creds = {
    keyFile: path.join(credsDir, 'AuthKey_SIMKEY0001.p8'), keyId: 'SIMKEY0001', teamId: 'SIMTEAM001', topic: 'com.example.pushsim',
    serviceAccountFile: path.join(credsDir, 'service-account.json'),
  };
  const tlsEnv = { NODE_EXTRA_CA_CERTS: SIMULATOR_CA_FILE };
  const serviceEnv = {
    ...tlsEnv, MONGODB_URI: options.mongoUri, API_KEYS: `ws_send:${KEY}`,
    APNS_KEY_FILE: creds.keyFile, APNS_KEY_ID: creds.keyId, APNS_TEAM_ID: creds.teamId, APNS_TOPIC: creds.topic, APNS_ENDPOINT: apnsUrl, APNS_MAX_IN_FLIGHT: String(APNS_IN_FLIGHT),
    FCM_SERVICE_ACCOUNT_FILE: creds.serviceAccountFile, FCM_ENDPOINT: fcmUrl, FCM_CONCURRENT_BATCHES: String(FCM_BATCHES),
    EXPO_BASE_URL: expoUrl,
    WEBPUSH_VAPID_PUBLIC_KEY: vapid.publicKey, WEBPUSH_VAPID_PRIVATE_KEY: vapid.privateKey, WEBPUSH_SUBJECT: vapid.subject,
    // The simulator is on 127.0.0.1: allowed here only.
    WEBPUSH_ALLOWED_HOSTS: '127.0.0.1:*', WEBPUSH_ALLOW_PRIVATE: 'true',
  };
  const { proc: service, url: newUrl } = await startService({ node: options.node, core: 0, env: serviceEnv });
  // The service before the message log, on its own database (its writes must not mix with the log's figures).
  const before = options.withoutMessages
    ? await startService({ node: options.node, core: 0, root: options.withoutMessages.root, env: { ...serviceEnv, MONGODB_URI: `${options.mongoUri}_without_messages` } })
    : undefined;

  const users = Math.ceil(options.tokens / 100);
  const apnsTokens: string[] = [];
  const fcmTokens: string[] = [];
  const expoTokens: string[] = [];
  // Web Push: a tenth of the tokens, subscriptions the simulator made with the service's VAPID public key.
  const subscriptions = withWebPush ? ((await control(webPushUrl, '/__subscribe', { application_server_key: vapid.publicKey, count: users * 10 })) as { endpoint: string; keys: { p256dh: string; auth: string } }[]) : [];
  const byUser: { token: string; provider_key: string; keys?: { p256dh: string; auth: string } }[][] = [];
  for (let u = 0; u < users; u++) {
    const list: { token: string; provider_key: string; keys?: { p256dh: string; auth: string } }[] = [];
    for (let i = 0; i < 100; i++) {
      const n = u * 100 + i;
      if (i % 5 === 4) {
        const token = `ExponentPushToken[bench${n}xxxxxxxxxxxxxxxx]`;
        expoTokens.push(token);
        list.push({ token, provider_key: 'expo' });
      } else if (i % 2 === 0) {
        const token = n.toString(16).padStart(64, '0');
        apnsTokens.push(token);
        list.push({ token, provider_key: 'apn' });
      } else if (withWebPush && i % 10 === 7) {
        const subscription = subscriptions[u * 10 + Math.floor(i / 10)]!;
        list.push({ token: subscription.endpoint, provider_key: 'webpush', keys: subscription.keys });
      } else {
        const token = `bench${n}:APA91b${'F'.repeat(140)}`;
        fcmTokens.push(token);
        list.push({ token, provider_key: 'firebase-fcm' });
      }
    }
    byUser.push(list);
  }
  const recipients = byUser.map((_, u) => ({ user_id: `bench-${u}` }));
  const deadWeb = subscriptions.filter((_, i) => i % 10 === 0).map((s) => s.endpoint);
  const deadApns = apnsTokens.filter((_, i) => i % 10 === 0);
  const deadFcm = fcmTokens.filter((_, i) => i % 10 === 0);
  const deadExpo = expoTokens.filter((_, i) => i % 10 === 0);
  const dead = deadApns.length + deadFcm.length + deadExpo.length + deadWeb.length;
  const rawConfigFile = path.join(credsDir, 'raw-config.json');
  writeFileSync(
    rawConfigFile,
    JSON.stringify({
      apns: { url: apnsUrl, keyFile: creds.keyFile, keyId: creds.keyId, teamId: creds.teamId, topic: creds.topic, tokens: apnsTokens, inFlight: APNS_IN_FLIGHT },
      fcm: { url: fcmUrl, serviceAccountFile: creds.serviceAccountFile, tokens: fcmTokens, batches: FCM_BATCHES },
      expo: { url: expoUrl, tokens: expoTokens, concurrency: 6 },
      ...(withWebPush ? { webpush: { subscriptions, vapid, connections: 32 } } : {}),
    }),
  );
  const stage = async () => {
    await control(apnsUrl, '/__reset');
    await control(fcmUrl, '/__reset');
    await control(apnsUrl, '/__stage', { tokens: deadApns, answer: { status: 410, reason: 'Unregistered', timestamp: Date.now() + 86_400_000 } });
    await control(fcmUrl, '/__stage', { tokens: deadFcm, answer: { errorCode: 'UNREGISTERED' } });
    await control(expoUrl, '/__reset');
    await control(expoUrl, '/__stage', { tokens: deadExpo, ticket: { status: 'error', error: 'DeviceNotRegistered' } });
    await control(webPushUrl, '/__reset');
    if (deadWeb.length > 0) await control(webPushUrl, '/__stage', { endpoints: deadWeb, answer: { status: 410 } });
  };
  const register = async (url: string) => {
    for (const [u, tokens] of byUser.entries()) {
      const res = await fetch(`${url}/users/bench-${u}/tokens`, { method: 'PUT', headers: HEADERS, body: JSON.stringify({ tokens }) });
      if (res.status !== 204) throw new Error(`registration failed: ${res.status}`);
    }
  };

  // One unmeasured send through each service first: the first send of a process opens its provider connections.
  await register(newUrl);
  await fetch(`${newUrl}/send`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ message: { to: recipients, content: { title: 'warm-up' } } }) });
  if (before) {
    await register(before.url);
    await fetch(`${before.url}/send`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ message: { to: recipients, content: { title: 'warm-up' } } }) });
  }
  // With withWebhooks: the same service on a database of its own with one endpoint for every event,
  // a receiver here answering 204; each round waits for its outbox to drain before going on.
  let delivered = 0;
  const receiver = options.withWebhooks ? http.createServer((req, res) => { req.resume(); req.on('end', () => { delivered++; res.writeHead(204).end(); }); }) : undefined;
  if (receiver) await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hooked = receiver
    ? await startService({ node: options.node, core: 0, env: { ...serviceEnv, MONGODB_URI: `${options.mongoUri}_webhooks`, WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_INTERVAL: '100ms' } })
    : undefined;
  if (hooked && receiver) {
    const res = await fetch(`${hooked.url}/webhooks`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, events: ['token.invalidated', 'message.updated', 'delivery.held', 'webhook.test'] }) });
    if (res.status !== 201) throw new Error(`webhook registration failed: ${res.status} ${await res.text()}`);
    await register(hooked.url);
    await fetch(`${hooked.url}/send`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ message: { to: recipients, content: { title: 'warm-up' } } }) });
  }
  const drained = async () => {
    let last = -1;
    for (let quiet = 0, waited = 0; quiet < 5 && waited < 600; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      quiet = delivered === last ? quiet + 1 : 0;
      last = delivered;
    }
  };
  if (hooked) await drained();
  const rounds: { with_webhooks_ms?: number; with_webhooks_rate?: number; without_messages_ms?: number; without_messages_rate?: number; ours_ms: number; raw_ms: number; ours_rate: number; raw_rate: number; delivered: number; invalidated: number; retryable: number; apns_max_in_flight: number; fcm_max_in_flight: number; fcm_sessions: number; resent_dead?: number }[] = [];
  try {
    for (let r = 0; r < options.rounds; r++) {
      const runOurs = async (url: string, check: boolean) => {
        await register(url);
        await stage();
        const started = process.hrtime.bigint();
        const res = await fetch(`${url}/send`, {
          method: 'POST',
          headers: HEADERS,
          body: JSON.stringify({ message: { to: recipients, content: { title: 'Benchmark', body: 'Hello' } } }),
        });
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (res.status !== 200) {
          const errors = service.lines.filter((line) => line.includes('"level":50')).slice(-3);
          throw new Error(`POST /send answered ${res.status}: ${(await res.text()).slice(0, 300)}\n${errors.join('\n')}`);
        }
        const report = (await res.json()) as { results: { outcome: string }[]; summary: { delivered: number; invalidated: number } };
        const apnsStats = (await control(apnsUrl, '/__stats')) as Stats;
        const fcmStats = (await control(fcmUrl, '/__stats')) as Stats;
        let resentDead: number | undefined;
        if (r === 0 && check) {
          // Exactly once: a second send must not touch a dead token again, nor invalidate anything.
          await control(apnsUrl, '/__reset');
          await control(fcmUrl, '/__reset');
          await control(expoUrl, '/__reset');
          await control(webPushUrl, '/__reset');
          const again = (await (await fetch(`${url}/send`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ message: { to: recipients, content: { title: 'again' } } }) })).json()) as { summary: { invalidated: number; delivered: number } };
          const after = [(await control(apnsUrl, '/__stats')) as Stats, (await control(fcmUrl, '/__stats')) as Stats];
          const expoAfter = (await control(expoUrl, '/__stats')) as { recipients: number };
          const webAfter = (await control(webPushUrl, '/__stats')) as { requests: number };
          // Every notification that reached a simulator, less the deliveries: what went to a dead token again.
          resentDead = after[0]!.requests + after[1]!.requests + expoAfter.recipients + webAfter.requests - again.summary.delivered + again.summary.invalidated;
        }
        return {
          ms,
          delivered: report.summary.delivered,
          invalidated: report.summary.invalidated,
          retryable: report.results.filter((x) => x.outcome === 'retryable').length,
          apnsStats,
          fcmStats,
          resentDead,
        };
      };
      const runRaw = async () => {
        await stage();
        const { proc, match: done } = await startProcess(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/baseline/raw-push-client.ts'), rawConfigFile], {
          core: 0,
          env: tlsEnv,
          ready: /raw client done in ([\d.]+) ms/,
        });
        await proc.stop();
        return Number(done[1]);
      };
      // A/B order alternates per round: ours, raw, without; then without, raw, ours.
      const oursFirst = r % 2 === 0;
      const withoutFirst = !oursFirst && before ? await runOurs(before.url, false) : undefined;
      const ours = oursFirst ? await runOurs(newUrl, true) : undefined;
      const rawMs = await runRaw();
      const o = ours ?? (await runOurs(newUrl, true));
      const without = withoutFirst ?? (before ? await runOurs(before.url, false) : undefined);
      const withHooks = hooked ? await runOurs(hooked.url, false) : undefined;
      if (hooked) await drained();
      rounds.push({
        ours_ms: round(o.ms, 1),
        raw_ms: round(rawMs, 1),
        ours_rate: round((options.tokens / o.ms) * 1000, 0),
        raw_rate: round((options.tokens / rawMs) * 1000, 0),
        delivered: o.delivered,
        invalidated: o.invalidated,
        retryable: o.retryable,
        apns_max_in_flight: o.apnsStats.maxInFlight,
        fcm_max_in_flight: o.fcmStats.maxInFlight,
        fcm_sessions: o.fcmStats.sessions,
        ...(o.resentDead !== undefined ? { resent_dead: o.resentDead } : {}),
        ...(without ? { without_messages_ms: round(without.ms, 1), without_messages_rate: round((options.tokens / without.ms) * 1000, 0) } : {}),
        ...(withHooks ? { with_webhooks_ms: round(withHooks.ms, 1), with_webhooks_rate: round((options.tokens / withHooks.ms) * 1000, 0) } : {}),
      });
      const phases = service.lines.filter((line) => line.includes('"send finished"')).pop();
      if (phases) options.log(`  service: ${phases.replace(/.*"token_count"/, '"token_count"').replace(/,"msg".*/, '')}`);
      const beforePhases = before?.proc.lines.filter((line) => line.includes('"send finished"')).pop();
      if (beforePhases) options.log(`  without the message log: ${beforePhases.replace(/.*"token_count"/, '"token_count"').replace(/,"msg".*/, '')}`);
      if (withHooks) options.log(`  with a webhook endpoint for every event: ${rounds[r]!.with_webhooks_rate}/s (${withHooks.ms.toFixed(0)} ms); ${delivered} events delivered so far`);
      options.log(`send round ${r + 1}: ours ${rounds[r]!.ours_rate}/s (${o.ms.toFixed(0)} ms), raw ${rounds[r]!.raw_rate}/s (${rawMs.toFixed(0)} ms)${without ? `, without the message log ${rounds[r]!.without_messages_rate}/s (${without.ms.toFixed(0)} ms)` : ''}; invalidated ${o.invalidated}, retryable ${o.retryable}`);
    }
  } finally {
    await service.stop();
    await before?.proc.stop();
    await hooked?.proc.stop();
    if (receiver) await new Promise((resolve) => receiver.close(resolve));
    await sims.stop();
  }
  const ratios = rounds.map((r) => r.ours_rate / r.raw_rate);
  const withoutRatios = rounds.flatMap((r) => (r.without_messages_rate !== undefined ? [r.without_messages_rate / r.raw_rate] : []));
  const messages = await messageBytes(options.mongoUri);
  return {
    tokens: options.tokens,
    dead,
    mix: { apn: apnsTokens.length, 'firebase-fcm': fcmTokens.length, expo: expoTokens.length, webpush: subscriptions.length },
    ours_per_s_median: median(rounds.map((r) => r.ours_rate)),
    raw_per_s_median: median(rounds.map((r) => r.raw_rate)),
    ratio_median: round(median(ratios)),
    ratio_spread: { min: round(spread(ratios).min), max: round(spread(ratios).max) },
    ...(withoutRatios.length > 0
      ? {
          without_messages: {
            commit: options.withoutMessages!.commit,
            ratio_median: round(median(withoutRatios)),
            ratio_spread: { min: round(spread(withoutRatios).min), max: round(spread(withoutRatios).max) },
            // Ours with the log over ours without it, per round (1 = no cost).
            cost_ratio_median: round(median(rounds.map((r) => r.ours_rate / r.without_messages_rate!))),
          },
        }
      : {}),
    messages,
    ...(hooked
      ? {
          with_webhooks: {
            ratio_median: round(median(rounds.map((r) => r.with_webhooks_rate! / r.raw_rate))),
            // With an endpoint for every event over without one, per round (1 = no cost).
            cost_ratio_median: round(median(rounds.map((r) => r.with_webhooks_rate! / r.ours_rate))),
            events_delivered: delivered,
          },
        }
      : {}),
    every_dead_invalidated_once: rounds.every((r) => r.invalidated === dead) && rounds[0]!.resent_dead === 0,
    no_refused_streams: rounds.every((r) => r.retryable === 0),
    in_flight_caps_respected: rounds.every((r) => r.apns_max_in_flight <= APNS_IN_FLIGHT && r.fcm_max_in_flight <= FCM_BATCHES * 100),
    per_round: rounds,
  };
}

/** What the message log stored: messages, and their mean BSON size (each has 100 token entries here). */
async function messageBytes(mongoUri: string): Promise<{ count: number; bson_bytes_mean: number; tokens_per_message: number }> {
  const client = await MongoClient.connect(mongoUri);
  try {
    const docs = await client.db().collection('messages').find({}).limit(1000).toArray();
    const sizes = docs.map((doc) => BSON.calculateObjectSize(doc));
    return {
      count: await client.db().collection('messages').countDocuments(),
      bson_bytes_mean: Math.round(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length)),
      tokens_per_message: docs.length > 0 ? Math.round(docs.reduce((sum, doc) => sum + (doc.tokens as unknown[]).length, 0) / docs.length) : 0,
    };
  } finally {
    await client.close();
  }
}
