import { createSign, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import webpush from 'web-push';
import { chunk, mapWithConcurrency } from '../../src/concurrency';

/**
 * The baseline for the send benchmark: the same notifications, sent straight over HTTP/2 to the
 * same simulators with nothing in between: no database, no SDK. APNs: one session, at most
 * `apnsInFlight` streams. FCM: an OAuth exchange, then batches of 500 messages, `fcmBatches`
 * sessions at a time, 100 streams each (what the simulator advertises). Expo: one JSON request
 * per 100 recipients over keep-alive HTTPS, 6 at a time (the SDK's default), no gzip. Web Push:
 * web-push's sendNotification per subscription (the encryption is the protocol's, not overhead),
 * 100 at a time over a keep-alive agent of `connections` sockets, the VAPID header signed once
 * per origin, with no SSRF filter and no database.
 * Usage: node --import tsx bench/baseline/raw-push-client.ts <config.json>; prints the elapsed ms.
 */
type Config = {
  apns: { url: string; keyFile: string; keyId: string; teamId: string; topic: string; tokens: string[]; inFlight: number };
  fcm: { url: string; serviceAccountFile: string; tokens: string[]; batches: number };
  expo: { url: string; tokens: string[]; concurrency: number };
  webpush?: { subscriptions: { endpoint: string; keys: { p256dh: string; auth: string } }[]; vapid: { publicKey: string; privateKey: string; subject: string }; connections: number };
  onesignal?: { url: string; appId: string; apiKey: string; ids: string[]; concurrency: number };
};

/** OneSignal: one notification per 2,000 subscription ids (the SDK's cap), `concurrency` at a time, over keep-alive HTTPS. Answers a status per id: 200, or 410 for one OneSignal reported invalid. */
async function oneSignal(config: NonNullable<Config['onesignal']>): Promise<number[]> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: config.concurrency });
  const answers = await mapWithConcurrency(chunk(config.ids, 2_000), config.concurrency, (ids) =>
    new Promise<number[]>((resolve, reject) => {
      const req = https.request(`${config.url}/notifications`, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Key ${config.apiKey}` } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          const invalid = new Set((JSON.parse(text) as { errors?: { invalid_player_ids?: string[] } }).errors?.invalid_player_ids ?? []);
          resolve(ids.map((id) => (invalid.has(id) ? 410 : 200)));
        });
      });
      req.on('error', reject);
      req.end(JSON.stringify({ app_id: config.appId, include_subscription_ids: ids, headings: { en: 'Benchmark' }, contents: { en: 'Hello' } }));
    }),
  );
  agent.destroy();
  return answers.flat();
}

async function webPush(config: NonNullable<Config['webpush']>): Promise<number[]> {
  if (config.subscriptions.length === 0) return [];
  const agent = new https.Agent({ keepAlive: true, maxSockets: config.connections });
  const origin = new URL(config.subscriptions[0]!.endpoint).origin;
  const { Authorization } = webpush.getVapidHeaders(origin, config.vapid.subject, config.vapid.publicKey, config.vapid.privateKey, 'aes128gcm', Math.floor(Date.now() / 1000) + 12 * 3600);
  const payload = JSON.stringify({ title: 'Benchmark', body: 'Hello' });
  const statuses = await mapWithConcurrency(config.subscriptions, 100, (subscription) =>
    webpush
      .sendNotification(subscription, payload, { TTL: 2419200, urgency: 'normal', contentEncoding: 'aes128gcm', headers: { Authorization }, agent })
      .then((r) => r.statusCode)
      .catch((error: { statusCode?: number }) => error.statusCode ?? 0),
  );
  agent.destroy();
  return statuses;
}

async function expo(config: Config['expo']): Promise<number[]> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: config.concurrency });
  const body = { title: 'Benchmark', body: 'Hello' };
  const answers = await mapWithConcurrency(chunk(config.tokens, 100), config.concurrency, (to) =>
    new Promise<number[]>((resolve, reject) => {
      const req = https.request(`${config.url}/--/api/v2/push/send`, { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve((JSON.parse(text) as { data: { status: string }[] }).data.map((t) => (t.status === 'ok' ? 200 : 400))));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ ...body, to }));
    }),
  );
  agent.destroy();
  return answers.flat();
}

function request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let status = 0;
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', () => undefined);
    stream.on('end', () => resolve(status));
    stream.on('error', reject);
    stream.end(body);
  });
}

async function apns(config: Config['apns']): Promise<number[]> {
  const now = Math.floor(Date.now() / 1000);
  const encode = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const unsigned = `${encode({ alg: 'ES256', kid: config.keyId })}.${encode({ iss: config.teamId, iat: now })}`;
  const signature = sign('sha256', Buffer.from(unsigned), { key: readFileSync(config.keyFile, 'utf8'), dsaEncoding: 'ieee-p1363' }).toString('base64url');
  const jwt = `${unsigned}.${signature}`;
  const session = http2.connect(config.url);
  const body = JSON.stringify({ aps: { alert: { title: 'Benchmark', body: 'Hello' } } });
  const statuses = await mapWithConcurrency(config.tokens, config.inFlight, (token) =>
    request(session, { ':method': 'POST', ':path': `/3/device/${token}`, authorization: `bearer ${jwt}`, 'apns-topic': config.topic, 'apns-push-type': 'alert', 'apns-priority': '10' }, body),
  );
  session.close();
  return statuses;
}

async function oauth(config: Config['fcm'], account: { client_email: string; private_key: string }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const encode = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iss: account.client_email, scope: 'https://www.googleapis.com/auth/firebase.messaging', aud: 'https://oauth2.googleapis.com/token', iat: now, exp: now + 3600 })}`;
  const assertion = `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(account.private_key).toString('base64url')}`;
  const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
  return new Promise((resolve, reject) => {
    const req = https.request(`${config.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve((JSON.parse(text) as { access_token: string }).access_token));
    });
    req.on('error', reject);
    req.end(form);
  });
}

async function fcm(config: Config['fcm']): Promise<number[]> {
  const account = JSON.parse(readFileSync(config.serviceAccountFile, 'utf8')) as { project_id: string; client_email: string; private_key: string };
  const accessToken = await oauth(config, account);
  const batches = await mapWithConcurrency(chunk(config.tokens, 500), config.batches, async (batch) => {
    const session = http2.connect(config.url);
    const statuses = await mapWithConcurrency(batch, 100, (token) =>
      request(
        session,
        { ':method': 'POST', ':path': `/v1/projects/${account.project_id}/messages:send`, authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        JSON.stringify({ message: { token, notification: { title: 'Benchmark', body: 'Hello' } } }),
      ),
    );
    session.close();
    return statuses;
  });
  return batches.flat();
}

async function main() {
  const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Config;
  const started = process.hrtime.bigint();
  const [a, f, e, w, o] = await Promise.all([apns(config.apns), fcm(config.fcm), expo(config.expo), config.webpush ? webPush(config.webpush) : Promise.resolve([]), config.onesignal ? oneSignal(config.onesignal) : Promise.resolve([])]);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const ok = [...a, ...f, ...e, ...o].filter((s) => s === 200).length + w.filter((s) => s === 201).length;
  process.stdout.write(`raw client done in ${ms.toFixed(1)} ms, ${ok} accepted of ${a.length + f.length + e.length + w.length + o.length}\n`);
}

void main();
