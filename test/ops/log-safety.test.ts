import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '../../src/logger';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { bearer, createTestApp, type TestApp } from '../support/test-app';
import { ExpoSimulator } from '../simulators/expo-simulator';
import { OneSignalSimulator } from '../simulators/onesignal-simulator';

/**
 * Runs the whole API surface, error paths included, with every log line captured at the most
 * verbose level, and checks that no token and no API key appears in any of them, whole or as
 * any 8-character piece (a log may show the last 4 characters, nothing more).
 */
const lines: string[] = [];
const capture = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});
const random = (n: number) => randomBytes(n).toString('hex');
const KEY = `sk_live_${random(12)}`;
const READ_KEY = `sk_read_${random(12)}`;
const apns = [random(32), random(32), random(32)];
const fcm = [`${random(8)}:APA91b${random(20)}`, `${random(8)}:APA91b${random(20)}`, `${random(8)}:APA91b${random(20)}`];
const flameup = `${random(10)}...${random(10)}`;
const jwts: string[] = [];
const secrets = [KEY, READ_KEY, ...apns, ...fcm, flameup, 'sk_wrong_key_' + random(8)];

let sims: SimulatedProviders;
let t: TestApp;
beforeAll(async () => {
  sims = await startSimulatedProviders();
  t = await createTestApp({
    apiKeys: `ws_a:${KEY},ws_a:${READ_KEY}=tokens:read`,
    logger: createLogger('trace', capture),
    providers: sims.providers,
    rateLimitPerMinute: 1000,
  });
});
afterAll(async () => {
  await sims.close();
  await t.close();
});

it('When every endpoint runs, errors included, then no log line holds a token or a key', async () => {
  const k = bearer(KEY);
  const enc = encodeURIComponent;
  await request(t.app).put(`/users/u1/tokens/${apns[0]}`).set(k).send({ provider_key: 'apn', token: apns[0] }).expect(204);
  await request(t.app).put(`/users/u1/tokens/${apns[0]}`).set(k).send({ provider_key: 'apn', token: apns[1] }).expect(400);
  await request(t.app).put('/users/u1/tokens').set(k).send({ tokens: [{ token: apns[1], provider_key: 'apn' }, { token: fcm[0], provider_key: 'firebase-fcm' }] }).expect(204);
  await request(t.app).put('/users/u1/tokens').set(k).send({ tokens: [{ token: fcm[1], provider_key: 'nope' }] }).expect(400);
  await request(t.app).put(`/users/u1/tokens/${enc(fcm[1]!)}`).set(k).send({ provider_key: 'firebase-fcm' }).expect(204);
  await request(t.app).get(`/users/u1/tokens/${apns[0]}`).set(k).expect(200);
  await request(t.app).get(`/users/u1/tokens/${apns[2]}`).set(k).expect(404);
  await request(t.app).get('/users/u1/tokens?limit=2').set(k).expect(200);
  await request(t.app).patch(`/users/u1/tokens/${apns[0]}`).set(k).send({ patch: [{ op: 'test', path: '/token', value: apns[2] }] }).expect(409);
  await request(t.app).patch(`/users/u1/tokens/${apns[0]}`).set(k).send({ patch: [{ op: 'replace', path: '/token', value: apns[2] }] }).expect(400);
  await request(t.app).put(`/users/u1/tokens/${apns[0]}`).set(k).set('Content-Type', 'application/json').send(`{"provider_key":"${apns[2]}`).expect(400);
  await request(t.app).post('/api/v1/people/p1/devices').set(k).send({ token: flameup, platform: 'ios', device_name: 'n', device_model: 'm' }).expect(201);
  await request(t.app).post('/api/v1/people/p1/devices').set(k).send({ token: flameup, platform: 'symbian' }).expect(400);
  await request(t.app).get('/api/v1/people/p1/devices').set(k).expect(200);
  await request(t.app).put(`/users/u1/tokens/${apns[2]}`).set(bearer(READ_KEY)).send({ provider_key: 'apn' }).expect(403);
  await request(t.app).get('/users/u1/tokens').set(bearer(secrets[secrets.length - 1]!)).expect(401);
  await request(t.app).get('/users/u1/tokens').set('Authorization', `Basic ${KEY}`).expect(401);
  sims.apns.stage(apns[1]!, { status: 410, reason: 'Unregistered', timestamp: Date.now() + 1000 });
  sims.apns.stage(apns[0]!, { status: 403, reason: 'InvalidProviderToken' });
  sims.fcm.stage(fcm[0]!, { errorCode: 'INTERNAL' });
  sims.fcm.stage(fcm[1]!, { errorCode: 'UNREGISTERED' });
  const sent = await request(t.app).post('/send').set(k).send({ message: { to: [{ user_id: 'u1' }, { user_id: 'p1' }, { token: fcm[2] }], content: { title: 'x' } } }).expect(200);
  expect(sent.body.summary.invalidated).toBe(2);
  await request(t.app).delete(`/api/v1/people/p1/devices/${enc(flameup)}`).set(k).expect(204);
  await request(t.app).delete(`/users/u1/tokens/${apns[0]}`).set(k).expect(204);
  await request(t.app).delete(`/users/u1/tokens/${apns[0]}`).set(k).expect(404);
  // User tokens: issued, used, refused (expired-looking, tampered, for another user).
  const issued = await request(t.app).post('/auth/issue-token').set(k).send({ scope: 'user_id:u1 read:user-tokens write:user-tokens', expires_in: '1h' }).expect(200);
  const jwt: string = issued.body.token;
  jwts.push(jwt);
  await request(t.app).get('/users/u1/tokens').set(bearer(jwt)).expect(200);
  await request(t.app).put(`/users/u1/tokens/${apns[2]}`).set(bearer(jwt)).send({ provider_key: 'apn' }).expect(204);
  await request(t.app).get('/users/other/tokens').set(bearer(jwt)).expect(403);
  await request(t.app).post('/send').set(bearer(jwt)).send({ message: { to: { user_id: 'u1' } } }).expect(403);
  const [h, p] = jwt.split('.');
  await request(t.app).get('/users/u1/tokens').set(bearer(`${h}.${p}.${'A'.repeat(86)}`)).expect(401);
  await request(t.app).get('/metrics').expect(200);

  expect(lines.length).toBeGreaterThan(25);
  const leaks: string[] = [];
  // A JWT's header is the same for every token the key signs; its payload and signature are the secret parts.
  const jwtSecrets = jwts.flatMap((jwt) => jwt.split('.').slice(1));
  for (const secret of [...secrets, ...jwtSecrets]) {
    for (let i = 0; i + 8 <= secret.length; i++) {
      const piece = secret.slice(i, i + 8);
      const line = lines.find((l) => l.includes(piece));
      if (line) leaks.push(`${piece} (of ${secret.slice(0, 4)}…) in ${line.slice(0, 200)}`);
    }
  }
  expect(leaks).toEqual([]);
  // The service does log what it should: requests with masked paths, rejections, invalidations.
  expect(lines.some((l) => l.includes('"route":"/users/:user_id/tokens/:token"') && l.includes('****'))).toBe(true);
  expect(lines.some((l) => l.includes('apns:InvalidProviderToken'))).toBe(true);
  expect(lines.some((l) => l.includes('tokens invalidated'))).toBe(true);
});

it('When paths vary in case, ids are odd or nothing matches, then no log line holds a token, and case variants are not routes', async () => {
  const k = bearer(KEY);
  const token = random(32);
  const fcmToken = `${random(8)}:APA91b${random(20)}`;
  const device = `${random(12)}...${random(12)}`;
  const before = lines.length;
  // Case variants are other paths, so they match no route (404) and log no path.
  for (const path of [`/USERS/u1/TOKENS/${token}`, `/users/u1/Tokens/${token}`, `/Users/u1/tokens/${token}`]) {
    await request(t.app).put(path).set(k).send({ provider_key: 'apn' }).expect(404);
  }
  await request(t.app).post(`/api/v1/people/p1/DEVICES/${device}`).set(k).send({}).expect(404);
  await request(t.app).delete(`/api/v1/people/p1/DEVICES/${device}`).set(k).expect(404);
  // A user or person id that is itself "tokens" or "devices".
  await request(t.app).put(`/users/tokens/tokens/${token}`).set(k).send({ provider_key: 'apn' }).expect(204);
  await request(t.app).get(`/users/devices/tokens/${token}`).set(k).expect(404);
  await request(t.app).post('/api/v1/people/devices/devices').set(k).send({ token: device, platform: 'ios' }).expect(201);
  await request(t.app).delete(`/api/v1/people/tokens/devices/${device}`).set(k).expect(404);
  // Encoded slashes, extra segments, and paths that match nothing.
  await request(t.app).get(`/users/u1/tokens/x%2F${token}`).set(k).expect(400);
  await request(t.app).get(`/users/u1/tokens/${token}/extra`).set(k).expect(404);
  await request(t.app).get(`/${token}`).set(k).expect(404);
  await request(t.app).get(`/users/u1/tokens/${encodeURIComponent(fcmToken)}%2F..`).set(k).expect(400);
  // Tokens sent as request ids are replaced, never echoed or logged.
  for (const id of [fcmToken, token, device, `${token}\u202e`]) {
    const res = await request(t.app).get('/users/u1/tokens').set(k).set('X-Request-Id', id.replace(/[^\x20-\x7e]/g, '')).expect(200);
    expect(res.headers['x-request-id']).not.toBe(id);
  }
  const sane = await request(t.app).get('/users/u1/tokens').set(k).set('X-Request-Id', 'req-0123456789abcdef').expect(200);
  expect(sane.headers['x-request-id']).toBe('req-0123456789abcdef');

  const added = lines.slice(before);
  expect(added.length).toBeGreaterThan(15);
  const leaks: string[] = [];
  for (const secret of [token, fcmToken, device]) {
    for (let i = 0; i + 8 <= secret.length; i++) {
      const line = added.find((l) => l.includes(secret.slice(i, i + 8)));
      if (line) leaks.push(`${secret.slice(i, i + 8)} in ${line.slice(0, 200)}`);
    }
  }
  expect(leaks).toEqual([]);
  // Matched routes still log a useful path: the user id, and the token's last 4 characters.
  expect(added.some((l) => l.includes(`"path":"/users/tokens/tokens/****${token.slice(-4)}"`))).toBe(true);
  expect(added.some((l) => l.includes('"route":"unmatched"') && !l.includes('"path"'))).toBe(true);
});

it('When Expo and OneSignal credentials, sends, receipts, the token lookup and /stats run, then no log line holds a token, an access token or an API key', async () => {
  const expoAccess = `expo_${random(16)}`;
  const osKey = `os_v2_app_${random(16)}`;
  const osApp = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
  const expoTokens = [`ExponentPushToken[${random(11)}]`, `ExponentPushToken[${random(11)}]`];
  const osIds = ['6b1f0f5e-3a3c-4c3e-9b7e-1f2a3b4c5d6e', '7c2a1e6f-4b4d-4d4f-8c8f-2a3b4c5d6e7f'];
  const expo = await ExpoSimulator.start({ accessToken: expoAccess });
  const onesignal = await OneSignalSimulator.start({ appId: osApp, apiKey: osKey });
  let clock = Date.now();
  const app = await createTestApp({
    apiKeys: `ws_a:${KEY}`,
    logger: createLogger('trace', capture),
    delivery: { endpoints: { apns: undefined, apnsSandbox: undefined, fcm: undefined, expo: new URL(expo.url), onesignal: new URL(onesignal.url) } },
    now: () => new Date(clock),
  });
  const before = lines.length;
  try {
    const k = bearer(KEY);
    const enc = encodeURIComponent;
    await request(app.app).put('/credentials/expo-main').set(k).send({ provider_key: 'expo', access_token: expoAccess }).expect(201);
    await request(app.app).put('/credentials/os-main').set(k).send({ provider_key: 'onesignal', app_id: osApp, api_key: osKey }).expect(201);
    await request(app.app).put('/credentials/os-bad').set(k).send({ provider_key: 'onesignal', app_id: 'nope', api_key: osKey }).expect(400);
    await request(app.app).put('/apps/com.example.rn').set(k).send({ expo: { credential_id: 'expo-main' }, onesignal: { credential_id: 'os-main' } }).expect(201);
    const device = { app_id: 'com.example.rn' };
    for (const token of expoTokens) await request(app.app).put(`/users/rn/tokens/${enc(token)}`).set(k).send({ provider_key: 'expo', device }).expect(204);
    for (const id of osIds) await request(app.app).put(`/users/rn/tokens/${id}`).set(k).send({ provider_key: 'onesignal', device }).expect(204);
    await request(app.app).put(`/users/rn/tokens/${enc(expoTokens[0]!.slice(0, -1))}`).set(k).send({ provider_key: 'expo' }).expect(400);
    expo.stageReceipt(expoTokens[0]!, { status: 'error', error: 'DeviceNotRegistered' });
    expo.stageTicket(expoTokens[1]!, { status: 'error', error: 'InvalidCredentials' });
    onesignal.setState(osIds[0]!, 'unsubscribed');
    const sent = await request(app.app).post('/send').set(k).send({ message: { to: { user_id: 'rn' }, content: { title: 'x' } } }).expect(200);
    expect(sent.body.summary).toMatchObject({ delivered: 2, invalidated: 1 });
    clock += 16 * 60_000;
    expo.clock = clock;
    expect(await app.receipts.runOnce()).toMatchObject({ invalidated: 1 });
    await request(app.app).get(`/tokens/${enc(expoTokens[0]!)}`).set(k).expect(200);
    await request(app.app).get(`/tokens/${osIds[1]}`).set(k).expect(200);
    await request(app.app).get(`/tokens/${enc(expoTokens[1]!)}x`).set(k).expect(404);
    await request(app.app).get('/stats').set(k).expect(200);
    await request(app.app).get('/credentials').set(k).expect(200);
    await request(app.app).get('/metrics').expect(200);
  } finally {
    await app.close();
    await expo.close();
    await onesignal.close();
  }
  const mine = lines.slice(before);
  expect(mine.length).toBeGreaterThan(15);
  const leaks: string[] = [];
  for (const secret of [expoAccess, osKey, ...expoTokens.map((t) => t.slice(18, -1)), ...osIds]) {
    for (let i = 0; i + 8 <= secret.length; i++) {
      const piece = secret.slice(i, i + 8);
      const line = mine.find((l) => l.includes(piece));
      if (line) leaks.push(`${piece} (of ${secret.slice(0, 4)}…) in ${line.slice(0, 200)}`);
    }
  }
  expect(leaks).toEqual([]);
  expect(mine.some((l) => l.includes('expo:InvalidCredentials'))).toBe(true);
  expect(mine.some((l) => l.includes('tokens invalidated by Expo receipts'))).toBe(true);
});


describe('the message log (issue 19)', () => {
  let tracked: TestApp;
  beforeAll(async () => {
    tracked = await createTestApp({
      apiKeys: `ws_a:${KEY}`,
      logger: createLogger('trace', capture),
      providers: sims.providers,
      messages: { publicUrl: new URL('https://push.example.com') },
    });
  });
  afterAll(async () => {
    await tracked.close();
  });

  it('When messages are sent, delayed, canceled, tracked and read, then no log line holds a token, a tracking secret or an Idempotency-Key', async () => {
    const k = bearer(KEY);
    const token = random(32);
    const idempotencyKey = `idem-${random(16)}`;
    const before = lines.length;
    await request(tracked.app).put(`/users/m1/tokens/${token}`).set(k).send({ provider_key: 'apn' }).expect(204);
    const sent = await request(tracked.app).post('/send').set(k).set('Idempotency-Key', idempotencyKey).send({ message: { to: [{ user_id: 'm1' }, { token }], content: { title: 'x' } } }).expect(200);
    await request(tracked.app).post('/send').set(k).set('Idempotency-Key', idempotencyKey).send({ message: { to: [{ user_id: 'm1' }, { token }], content: { title: 'x' } } }).expect(200);
    await request(tracked.app).post('/send').set(k).set('Idempotency-Key', idempotencyKey).send({ message: { to: { token }, content: { title: 'y' } } }).expect(422);
    const url = (sims.apns.received.filter((r) => r.token === token).at(-1)!.payload as { trackingUrl: string }).trackingUrl;
    const secret = url.split('.').pop()!;
    const path = new URL(url).pathname;
    await request(tracked.app).post(path).send({ event: 'OPENED' }).expect(204);
    await request(tracked.app).post(path).send({ event: 'NOPE' }).expect(400);
    await request(tracked.app).post(`${path.slice(0, -1)}${path.endsWith('A') ? 'B' : 'A'}`).send({ event: 'OPENED' }).expect(404);
    const listed = await request(tracked.app).get(`/messages?messageId=${sent.body.requestId}`).set(k).expect(200);
    for (const { id } of listed.body.results as { id: string }[]) {
      await request(tracked.app).get(`/messages/${id}`).set(k).expect(200);
      await request(tracked.app).get(`/messages/${id}/history`).set(k).expect(200);
    }
    const delayed = await request(tracked.app).post('/send').set(k).send({ message: { to: { token }, content: { title: 'later' }, delay: { duration: 0 } } }).expect(202);
    await tracked.scheduler.runOnce();
    await request(tracked.app).post(`/messages/${delayed.body.requestId}/cancel`).set(k).expect(409);

    const added = lines.slice(before);
    expect(added.some((l) => l.includes('"route":"/t/:tracking_id"') && l.includes('****'))).toBe(true);
    const leaks: string[] = [];
    for (const value of [token, secret, idempotencyKey]) {
      for (let i = 0; i + 8 <= value.length; i++) {
        const piece = value.slice(i, i + 8);
        const line = added.find((l) => l.includes(piece));
        if (line) leaks.push(`${piece} (of ${value.slice(0, 4)}…) in ${line.slice(0, 200)}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});

describe('webhooks (issue 21)', () => {
  it('When endpoints are created, rotated and delivered to, no log line holds a secret, a signature or a whole token', async () => {
    const http = await import('node:http');
    const signatures: string[] = [];
    const receiver = http.createServer((req, res) => {
      signatures.push(String(req.headers['webhook-signature']));
      req.resume();
      req.on('end', () => res.writeHead(500).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hooked = await createTestApp({ apiKeys: `ws_a:${KEY}`, logger: createLogger('trace', capture), providers: sims.providers, webhooks: { allowHttp: true, allowPrivate: true } });
    try {
      const k = bearer(KEY);
      const before = lines.length;
      const token = random(32);
      const port = (receiver.address() as import('node:net').AddressInfo).port;
      const created = await request(hooked.app).post('/webhooks').set(k).send({ url: `http://127.0.0.1:${port}/h`, events: ['token.invalidated', 'webhook.test'] }).expect(201);
      const rotated = await request(hooked.app).post(`/webhooks/${created.body.id}/rotate-secret`).set(k).expect(200);
      await request(hooked.app).put(`/users/w1/tokens/${token}`).set(k).send({ provider_key: 'apn' }).expect(204);
      sims.apns.stage(token, { status: 410, reason: 'Unregistered' });
      await request(hooked.app).post('/send').set(k).send({ message: { to: { user_id: 'w1' }, content: { title: 'x' } } }).expect(200);
      await request(hooked.app).post(`/webhooks/${created.body.id}/test`).set(k).expect(202);
      await hooked.dispatcher.runOnce();
      await request(hooked.app).get(`/webhooks/${created.body.id}/attempts`).set(k).expect(200);
      expect(signatures.length).toBeGreaterThan(0);
      const added = lines.slice(before);
      const leaks: string[] = [];
      for (const secret of [created.body.secret, rotated.body.secret, token, ...signatures.flatMap((s) => s.split(' ').map((v) => v.slice(3)))]) {
        for (let i = 0; i + 12 <= secret.length; i++) {
          const piece = secret.slice(i, i + 12);
          const line = added.find((l) => l.includes(piece));
          if (line) leaks.push(`${piece} in ${line.slice(0, 200)}`);
        }
      }
      expect(leaks).toEqual([]);
    } finally {
      await hooked.close();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
