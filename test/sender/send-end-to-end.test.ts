import request from 'supertest';
import { bearer, createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { apnsToken } from '../support/tokens';

/**
 * The whole path: tokens registered through the API, POST /send through the real SDKs to the
 * simulators staged with every row of provider-errors.md, then the API shows the statuses.
 */
let sims: SimulatedProviders;
let t: TestApp;
const fcmToken = (n: number) => `fcm${n}:APA91b-${'Q'.repeat(16)}_${n}`;
const put = (user: string, token: string, provider_key: string, body: object = {}) => apiClient(t.app, KEY_A).putToken(user, token, { provider_key, ...body }).expect(204);
const get = async (user: string, token: string) => (await apiClient(t.app, KEY_A).getToken(user, token).expect(200)).body;
const send = (to: unknown, extra: object = {}) => apiClient(t.app, KEY_A).send({ to, content: { title: 'Hello', body: 'World' }, ...extra });

beforeAll(async () => {
  sims = await startSimulatedProviders({ apnsMaxInFlight: 20 });
  // One user with 1,200 tokens: above the default MAX_TOKENS_PER_USER, which these batching tests are not about.
  t = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, userLimits: { maxTokens: 2_000, maxBytes: 16 * 1024 * 1024 } });
});
afterEach(() => {
  sims.apns.reset();
  sims.fcm.reset();
});
afterAll(async () => {
  await sims.close();
  await t.close();
});

type Row = { name: string; provider: 'apn' | 'firebase-fcm'; answer: unknown; status: string; reason: string | null; outcome: string; attempts: number };

describe('POST /send: every row of the classification table, through the API', () => {
  const rows: Row[] = [
    { name: 'APNs 200', provider: 'apn', answer: { status: 200 }, status: 'active', reason: null, outcome: 'delivered', attempts: 1 },
    { name: 'APNs 410 Unregistered', provider: 'apn', answer: { status: 410, reason: 'Unregistered', timestamp: Date.now() + 60_000 }, status: 'failed', reason: 'apns:Unregistered', outcome: 'invalid', attempts: 1 },
    { name: 'APNs 410 ExpiredToken', provider: 'apn', answer: { status: 410, reason: 'ExpiredToken' }, status: 'failed', reason: 'apns:ExpiredToken', outcome: 'invalid', attempts: 1 },
    { name: 'APNs 400 BadDeviceToken', provider: 'apn', answer: { status: 400, reason: 'BadDeviceToken' }, status: 'failed', reason: 'apns:BadDeviceToken', outcome: 'invalid', attempts: 1 },
    { name: 'APNs 400 DeviceTokenNotForTopic (our routing)', provider: 'apn', answer: { status: 400, reason: 'DeviceTokenNotForTopic' }, status: 'active', reason: null, outcome: 'rejected', attempts: 1 },
    { name: 'APNs 400 BadTopic (our config)', provider: 'apn', answer: { status: 400, reason: 'BadTopic' }, status: 'active', reason: null, outcome: 'rejected', attempts: 1 },
    { name: 'APNs 400 PayloadEmpty (our payload)', provider: 'apn', answer: { status: 400, reason: 'PayloadEmpty' }, status: 'active', reason: null, outcome: 'rejected', attempts: 1 },
    { name: 'APNs 403 BadCertificate (credential)', provider: 'apn', answer: { status: 403, reason: 'BadCertificate' }, status: 'active', reason: null, outcome: 'rejected', attempts: 1 },
    { name: 'APNs 403 InvalidProviderToken (credential)', provider: 'apn', answer: { status: 403, reason: 'InvalidProviderToken' }, status: 'active', reason: null, outcome: 'rejected', attempts: 1 },
    { name: 'APNs 413 PayloadTooLarge', provider: 'apn', answer: { status: 413, reason: 'PayloadTooLarge' }, status: 'active', reason: null, outcome: 'rejected', attempts: 1 },
    { name: 'APNs 429 TooManyRequests', provider: 'apn', answer: { status: 429, reason: 'TooManyRequests' }, status: 'active', reason: null, outcome: 'retryable', attempts: 3 },
    { name: 'APNs 429 TooManyProviderTokenUpdates', provider: 'apn', answer: { status: 429, reason: 'TooManyProviderTokenUpdates' }, status: 'active', reason: null, outcome: 'rejected', attempts: 1 },
    { name: 'APNs 500 InternalServerError', provider: 'apn', answer: { status: 500, reason: 'InternalServerError' }, status: 'active', reason: null, outcome: 'retryable', attempts: 3 },
    { name: 'APNs 503 ServiceUnavailable', provider: 'apn', answer: { status: 503, reason: 'ServiceUnavailable' }, status: 'active', reason: null, outcome: 'retryable', attempts: 3 },
    { name: 'FCM 200', provider: 'firebase-fcm', answer: { ok: true }, status: 'active', reason: null, outcome: 'delivered', attempts: 1 },
    { name: 'FCM UNREGISTERED', provider: 'firebase-fcm', answer: { errorCode: 'UNREGISTERED' }, status: 'failed', reason: 'fcm:UNREGISTERED', outcome: 'invalid', attempts: 1 },
    { name: 'FCM INVALID_ARGUMENT (the token)', provider: 'firebase-fcm', answer: { errorCode: 'INVALID_ARGUMENT' }, status: 'failed', reason: 'fcm:INVALID_ARGUMENT', outcome: 'invalid', attempts: 1 },
    { name: 'FCM INVALID_ARGUMENT (our payload)', provider: 'firebase-fcm', answer: { errorCode: 'INVALID_ARGUMENT', message: 'Invalid value at message.android.ttl' }, status: 'active', reason: null, outcome: 'rejected', attempts: 1 },
    { name: 'FCM SENDER_ID_MISMATCH (our routing)', provider: 'firebase-fcm', answer: { errorCode: 'SENDER_ID_MISMATCH' }, status: 'active', reason: null, outcome: 'rejected', attempts: 1 },
    { name: 'FCM QUOTA_EXCEEDED', provider: 'firebase-fcm', answer: { errorCode: 'QUOTA_EXCEEDED' }, status: 'active', reason: null, outcome: 'retryable', attempts: 3 },
    // firebase-admin retries 503 itself, 5 attempts over about 7 s, for each of our 3 attempts.
    { name: 'FCM UNAVAILABLE', provider: 'firebase-fcm', answer: { errorCode: 'UNAVAILABLE', retryAfterSeconds: 0 }, status: 'active', reason: null, outcome: 'retryable', attempts: 15 },
    { name: 'FCM INTERNAL', provider: 'firebase-fcm', answer: { errorCode: 'INTERNAL' }, status: 'active', reason: null, outcome: 'retryable', attempts: 3 },
    { name: 'FCM THIRD_PARTY_AUTH_ERROR', provider: 'firebase-fcm', answer: { errorCode: 'THIRD_PARTY_AUTH_ERROR' }, status: 'active', reason: null, outcome: 'rejected', attempts: 1 },
    { name: 'FCM UNSPECIFIED_ERROR', provider: 'firebase-fcm', answer: { errorCode: 'UNSPECIFIED_ERROR' }, status: 'active', reason: null, outcome: 'retryable', attempts: 3 },
  ];

  it('When one user holds a token for every row, then one send leaves exactly the expected statuses', async () => {
    const tokens = rows.map((row, i) => (row.provider === 'apn' ? apnsToken(i) : fcmToken(i)));
    for (const [i, row] of rows.entries()) {
      await put('table-user', tokens[i]!, row.provider);
      if (row.provider === 'apn') sims.apns.stage(tokens[i]!, row.answer as never);
      else sims.fcm.stage(tokens[i]!, row.answer as never);
    }
    const res = await send({ user_id: 'table-user' }).expect(200);
    const byToken = new Map<string, { outcome: string; reason: string | null }>(res.body.results.map((r: { token: string }) => [r.token, r]));
    for (const [i, row] of rows.entries()) {
      const token = tokens[i]!;
      const stored = await get('table-user', token);
      expect({ row: row.name, status: stored.status, status_reason: stored.status_reason, outcome: byToken.get(token)?.outcome }).toEqual({
        row: row.name,
        status: row.status,
        status_reason: row.reason,
        outcome: row.outcome,
      });
      const attempts = row.provider === 'apn' ? sims.apns.attempts(token) : sims.fcm.attempts(token);
      expect({ row: row.name, attempts }).toEqual({ row: row.name, attempts: row.attempts });
      if (row.outcome === 'delivered') expect(stored.last_used_at).not.toBeNull();
    }
    const count = (outcome: string) => rows.filter((r) => r.outcome === outcome).length;
    expect(res.body.summary).toEqual({
      delivered: count('delivered'),
      invalidated: count('invalid'),
      failed: count('rejected') + count('retryable'),
      skipped: 0,
    });
  }, 60_000);

  it('When a 410 is older than the token’s re-registration, then the token stays active', async () => {
    const stale = apnsToken(9001);
    const fresh = apnsToken(9002);
    await put('apple-delay', stale, 'apn');
    await put('apple-delay', fresh, 'apn');
    sims.apns.stage(stale, { status: 410, reason: 'Unregistered', timestamp: Date.now() - 3_600_000 });
    sims.apns.stage(fresh, { status: 410, reason: 'Unregistered', timestamp: Date.now() + 1_000 });
    const res = await send({ user_id: 'apple-delay' }).expect(200);
    expect((await get('apple-delay', stale)).status).toBe('active');
    expect((await get('apple-delay', fresh)).status).toBe('failed');
    expect(res.body.summary.invalidated).toBe(1);
    const staleResult = res.body.results.find((r: { token: string }) => r.token === stale);
    expect(staleResult.reason).toMatch(/kept active/);
  });

  it('When a transient answer clears on retry, then the token is delivered after two attempts', async () => {
    const token = apnsToken(9100);
    await put('flaky', token, 'apn');
    sims.apns.stage(token, [{ status: 503, reason: 'ServiceUnavailable' }, { status: 200 }]);
    const res = await send({ user_id: 'flaky' }).expect(200);
    expect(res.body.results[0]).toMatchObject({ outcome: 'delivered' });
    expect(sims.apns.attempts(token)).toBe(2);
  });

  it('When tokens are failed, revoked or expired, then they are never sent to; explicit ones are skipped', async () => {
    await put('mixed', apnsToken(9200), 'apn');
    await put('mixed', apnsToken(9201), 'apn');
    await put('mixed', apnsToken(9202), 'apn');
    await request(t.app).patch(`/users/mixed/tokens/${apnsToken(9201)}`).set(bearer(KEY_A)).send({ patch: [{ op: 'replace', path: '/status', value: 'revoked' }] }).expect(204);
    await t.model.updateOne({ token: apnsToken(9202) }, { $set: { expiry_date: new Date(Date.now() - 1000) } });
    const res = await send([{ user_id: 'mixed' }, { token: apnsToken(9201) }, { token: apnsToken(9999) }]).expect(200);
    expect(res.body.results.map((r: { token: string; outcome: string }) => [r.token, r.outcome])).toEqual([
      [apnsToken(9200), 'delivered'],
      [apnsToken(9201), 'skipped'],
      [apnsToken(9999), 'skipped'],
    ]);
    expect(sims.apns.counters.requests).toBe(1);
    expect(res.body.summary).toEqual({ delivered: 1, invalidated: 0, failed: 0, skipped: 2 });
  });

  it('When no app credential and no instance-wide adapter serves a token, then its result is rejected, naming the app', async () => {
    await put('expo-user', 'ExponentPushToken[abcdef]', 'expo');
    const res = await send({ user_id: 'expo-user' }).expect(200);
    expect(res.body.results).toEqual([{ user_id: 'expo-user', token: 'ExponentPushToken[abcdef]', provider_key: 'expo', outcome: 'rejected', reason: 'no credentials for app (none)' }]);
    expect((await get('expo-user', 'ExponentPushToken[abcdef]')).status).toBe('active');
  });

  it('When a user has no sendable tokens, then the result is empty, not an error', async () => {
    const res = await send({ user_id: 'nobody-here' }).expect(200);
    expect(res.body).toEqual({ requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), results: [], summary: { delivered: 0, invalidated: 0, failed: 0, skipped: 0 } });
  });

  it('When 1,200 FCM tokens are sent, then they go out in sendEach chunks of at most 500', async () => {
    const tokens = Array.from({ length: 1200 }, (_, i) => fcmToken(100_000 + i));
    for (let i = 0; i < tokens.length; i += 100) {
      await request(t.app)
        .put('/users/big-fcm/tokens')
        .set(bearer(KEY_A))
        .send({ tokens: tokens.slice(i, i + 100).map((token) => ({ token, provider_key: 'firebase-fcm' })) })
        .expect(204);
    }
    const res = await send({ user_id: 'big-fcm' }).expect(200);
    expect(res.body.summary.delivered).toBe(1200);
    expect(sims.fcm.counters.requests).toBe(1200);
    expect(sims.fcm.counters.sessions).toBe(3); // one HTTP/2 session per sendEach call: 500 + 500 + 200
    expect(sims.fcm.counters.maxInFlight).toBeLessThanOrEqual(2 * 100);
  });

  it('When 300 APNs tokens are sent, then no more than APNS_MAX_IN_FLIGHT are in flight', async () => {
    const tokens = Array.from({ length: 300 }, (_, i) => apnsToken(200_000 + i));
    for (let i = 0; i < tokens.length; i += 100) {
      await request(t.app)
        .put('/users/big-apns/tokens')
        .set(bearer(KEY_A))
        .send({ tokens: tokens.slice(i, i + 100).map((token) => ({ token, provider_key: 'apn' })) })
        .expect(204);
    }
    for (const token of tokens) sims.apns.stage(token, { delayMs: 3, then: { status: 200 } });
    const res = await send({ user_id: 'big-apns' }).expect(200);
    expect(res.body.summary.delivered).toBe(300);
    expect(sims.apns.counters.maxInFlight).toBeLessThanOrEqual(20);
  });

  it('When a connection drops mid-send, then results are retryable or delivered and no token is invalidated', async () => {
    const tokens = Array.from({ length: 10 }, (_, i) => apnsToken(300_000 + i));
    for (const token of tokens) {
      await put('dropper', token, 'apn');
      sims.apns.stage(token, { delayMs: 20, then: { status: 200 } });
    }
    sims.apns.stage(tokens[0]!, { drop: true });
    const res = await send({ user_id: 'dropper' }).expect(200);
    expect(res.body.results.every((r: { outcome: string }) => r.outcome === 'delivered' || r.outcome === 'retryable')).toBe(true);
    for (const token of tokens) expect((await get('dropper', token)).status).toBe('active');
  });

  it('When the body is bad, then it is a 400 naming the field', async () => {
    const cases: [object, string][] = [
      [{ message: { to: {}, content: { title: 'x' } } }, 'message.to'],
      [{ message: { to: { user_id: 'u' }, data: { aps: 'x' } } }, 'message.data.aps'],
      [{ message: { to: { user_id: 'u' }, push: { priority: 'urgent' } } }, 'message.push.priority'],
      [{ message: { to: { user_id: 'u' }, colour: 1 } }, 'message.colour'],
      [{}, 'message'],
    ];
    for (const [body, field] of cases) {
      const res = await request(t.app).post('/send').set(bearer(KEY_A)).send(body).expect(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    }
  });

  it('When the providers are closed, then their connections to the simulators close', async () => {
    await put('closer', apnsToken(400_000), 'apn');
    await send({ user_id: 'closer' }).expect(200);
    expect(sims.apns.counters.openSessions).toBeGreaterThan(0);
    await sims.providers.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sims.apns.counters.openSessions).toBe(0);
    expect(sims.fcm.counters.openSessions).toBe(0);
  });
});
