import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';
import { RateBudget, RATE_WINDOWS } from '../../src/broadcast/rate-budget';
import { apiClient } from '../support/api-client';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../support/test-app';
import { openTestDatabase } from '../support/test-db';
import { apnsToken } from '../support/tokens';
import { waitFor } from '../support/wait-for';
import { startAllProviders, type AllProviders } from '../support/all-providers';

/**
 * Each provider's pace, per credential, across replicas (issue 30): the budget's windows on a
 * fake clock, a provider's rate answer pausing the whole credential, and two replicas sharing
 * one broadcast whose aggregate rate is measured from the APNs simulator's own timestamps.
 */
const key = { workspaceId: 'ws_a', provider: 'apn' as const, credentialId: 'team' };
const RATES = { apn: 100, 'firebase-fcm': 0, expo: 600, onesignal: 0, webpush: 0 };

describe('the budget, on a fake clock', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let clock = Date.parse('2026-12-06T12:00:00.000Z');
  const slept: number[] = [];
  const fake = { now: () => clock, sleep: async (ms: number) => { slept.push(ms); clock += ms; } };
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    slept.length = 0;
    await db.db.collection(RATE_WINDOWS).deleteMany({});
  });

  it('grants at most a tenth of the rate per 100 ms window, shared by two replicas, and waits for the next window', async () => {
    const one = new RateBudget(db.db, RATES, fake);
    const two = new RateBudget(db.db, RATES, fake);
    expect(await one.take(key, 25)).toBe(10);
    expect(slept).toEqual([]);
    // The window is spent: the other replica waits for the next one.
    const start = clock;
    expect(await two.take(key, 5)).toBe(5);
    expect(clock - start).toBeGreaterThan(0);
    expect(Math.floor(clock / 100)).toBe(Math.floor(start / 100) + 1);
    expect(await one.take(key, 25)).toBe(5);
  });

  it('another credential, and a provider without a rate, are not held back', async () => {
    const budget = new RateBudget(db.db, RATES, fake);
    expect(await budget.take(key, 10)).toBe(10);
    expect(await budget.take({ ...key, credentialId: 'other' }, 10)).toBe(10);
    expect(await budget.take({ ...key, provider: 'webpush' }, 100_000)).toBe(100_000);
    expect(slept).toEqual([]);
  });

  it('a credential’s own rate replaces its provider’s default', async () => {
    const budget = new RateBudget(db.db, RATES, fake);
    // 50 a second: 5 per window, where Expo's default would give 60.
    expect(await budget.take({ ...key, provider: 'expo' }, 25, 50)).toBe(5);
    expect(await budget.take({ ...key, provider: 'expo', credentialId: 'default-rate' }, 100)).toBe(60);
  });

  it('a rate answer pauses the credential for every replica, for its Retry-After', async () => {
    const one = new RateBudget(db.db, RATES, fake);
    const two = new RateBudget(db.db, RATES, fake);
    const start = clock;
    await one.slowDown(key, 2_000);
    expect(await two.take(key, 1)).toBe(1);
    expect(clock - start).toBeGreaterThanOrEqual(2_000);
  });
});

describe('a credential’s own rate (rate_per_second)', () => {
  let all: AllProviders;
  beforeAll(async () => {
    all = await startAllProviders({ broadcast: { chunkSize: 10, intervalMs: 20, concurrency: 2 } });
    all.t.broadcastWorker.start();
  }, 60_000);
  afterAll(async () => {
    await all.close();
  });

  it('is stored and shown, and a PUT without it goes back to the instance’s default', async () => {
    const api = apiClient(all.t.app, KEY_A);
    const put = (body: object) => api.put('/credentials/expo', { provider_key: 'expo', access_token: all.expoAccessToken, ...body });
    expect((await put({ rate_per_second: 20 }).expect(200)).body).toMatchObject({ credential_id: 'expo', rate_per_second: 20 });
    expect((await put({}).expect(200)).body.rate_per_second).toBeNull();
    expect((await put({ rate_per_second: 0 }).expect(400)).body.errors[0].path).toBe('rate_per_second');
    expect((await put({ rate_per_second: 1.5 }).expect(400)).body.errors[0].path).toBe('rate_per_second');
  });

  it('paces that credential’s broadcasts: its rate over the broadcast, measured at the Expo simulator', async () => {
    const api = apiClient(all.t.app, KEY_A);
    const RATE = 20;
    const TOKENS = 60;
    await api.put('/credentials/expo', { provider_key: 'expo', access_token: all.expoAccessToken, rate_per_second: RATE }).expect(200);
    for (let i = 0; i < TOKENS; i++) await api.putToken(`paced-${i}`, `ExponentPushToken[paced-${String(i).padStart(4, '0')}]`, { provider_key: 'expo', device: { app_id: all.app } }).expect(204);
    await api.put('/audiences/expo-paced', { filter: { filters: [{ operator: 'EQ', path: 'provider_key', value: 'expo' }] } }).expect(200);
    all.reset();
    const { body } = await api.send({ to: { audience_id: 'expo-paced' }, content: { title: 'Paced' } }).expect(202);
    await waitFor(async () => (await api.get(`/messages/${body.requestId}`)).body.status === 'SENT', 'the paced broadcast to finish', { timeoutMs: 30_000 });
    const times = all.expo.sends.flatMap((s) => s.recipients.map(() => s.at)).sort((x, y) => x - y);
    expect(times).toHaveLength(TOKENS);
    // The rate over the whole broadcast, from the simulator's clock: a tenth of the rate goes each
    // 100 ms, so the tokens after the first window's span the rest. (Over a window as short as a
    // second, a request held back a few ms by the event loop lands in the next second: the
    // issue's bound is over 10 s, which the two-replica test below measures.)
    const perWindow = RATE / 10;
    const rate = ((TOKENS - perWindow) / (times[times.length - 1]! - times[0]!)) * 1000;
    expect(rate).toBeLessThanOrEqual(1.1 * RATE);
    // Without its own rate, the credential would have had Expo's 600 a second: the whole broadcast in one window.
    expect(rate).toBeGreaterThan(0.5 * RATE);
  });
});

describe('a provider’s quota answer during a broadcast', () => {
  let sims: SimulatedProviders;
  let t: TestApp;
  beforeAll(async () => {
    sims = await startSimulatedProviders();
    t = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, broadcast: { chunkSize: 10, intervalMs: 20 } });
    t.broadcastWorker.start();
  });
  afterAll(async () => {
    await t.close();
    await sims.close();
  });

  it('FCM’s QUOTA_EXCEEDED pauses the whole credential (here the instance’s), and the token is sent once the pause ends', async () => {
    const api = apiClient(t.app, KEY_A);
    await api.putToken('quota-user', 'quota:APA91b-quota-token', { provider_key: 'firebase-fcm' }).expect(204);
    sims.fcm.stage('quota:APA91b-quota-token', [{ errorCode: 'QUOTA_EXCEEDED', retryAfterSeconds: 1 }, { ok: true }]);
    await api.put('/audiences/fcm', { filter: { filters: [{ operator: 'EQ', path: 'provider_key', value: 'firebase-fcm' }] } }).expect(200);
    const { body } = await api.send({ to: { audience_id: 'fcm' }, content: { title: 'Quota' } }).expect(202);
    await waitFor(async () => (await api.get(`/messages/${body.requestId}`)).body.status === 'SENT', 'the send to finish after the pause');
    const pause = await t.database.db.collection(RATE_WINDOWS).findOne({ _id: 'pause:instance:firebase-fcm' as never });
    expect(pause).toMatchObject({ until: expect.any(Date) });
  });
});

describe('two replicas, one credential', () => {
  const RATE = 100;
  const TOKENS = 1_300;
  let sims: SimulatedProviders;
  let a: TestApp;
  let b: TestApp;
  const lines: Record<'a' | 'b', string[]> = { a: [], b: [] };
  const logs = (into: string[]) => createLogger('debug', new Writable({ write: (chunk, _e, done) => { into.push(String(chunk)); done(); } }));
  beforeAll(async () => {
    sims = await startSimulatedProviders();
    const options = { providers: sims.providers, retry: FAST_RETRY, broadcast: { chunkSize: 50, intervalMs: 20, concurrency: 2, rates: { ...RATES, apn: RATE } } };
    a = await createTestApp({ ...options, logger: logs(lines.a) });
    b = await createTestApp({ ...options, logger: logs(lines.b), database: a.database });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await sims.close();
  });

  it(`stay within 110% of the credential’s rate over every 10 s window, measured at APNs`, async () => {
    const api = apiClient(a.app, KEY_A);
    await a.model.insertMany(
      Array.from({ length: TOKENS }, (_, i) => ({ workspace_id: 'ws_a', user_id: `rate-${i}`, token: apnsToken(9000 + i), provider_key: 'apn', status: 'active', revision: 0, created_at: new Date(), updated_at: new Date() })),
    );
    await api.put('/audiences/rate', { filter: { filters: [{ operator: 'EQ', path: 'provider_key', value: 'apn' }] } }).expect(200);
    const { body } = await api.send({ to: { audience_id: 'rate' }, content: { title: 'Paced' } }).expect(202);
    a.broadcastWorker.start();
    b.broadcastWorker.start();
    await waitFor(async () => (await api.get(`/messages/${body.requestId}`)).body.status === 'SENT', 'the paced broadcast to finish', { timeoutMs: 60_000 });

    const times = sims.apns.received.map((r) => r.at).sort((x, y) => x - y);
    expect(times).toHaveLength(TOKENS);
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 10_000) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(1.1 * RATE * 10);
    // Both replicas sent chunks of it.
    const chunks = (replica: string[]) => replica.filter((l) => l.includes('broadcast chunk dispatching')).length;
    expect(chunks(lines.a)).toBeGreaterThan(0);
    expect(chunks(lines.b)).toBeGreaterThan(0);
    expect(chunks(lines.a) + chunks(lines.b)).toBe(TOKENS / 50);
  }, 90_000);
});
