import request from 'supertest';
import { ExpoProvider } from '../../src/providers/expo-provider';
import { ProviderRegistry } from '../../src/providers/provider-registry';
import { DeliveryStore } from '../../src/sender/delivery-store';
import { ExpoReceiptChecker } from '../../src/sender/expo-receipts';
import { ExpoTicketStore } from '../../src/sender/expo-tickets';
import { createLogger } from '../../src/logger';
import { ExpoSimulator, type ExpoTicketAnswer } from '../simulators/expo-simulator';
import { bearer, createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';

/**
 * Expo through POST /send, the real adapter and expo-server-sdk, against the simulator: every
 * row of the Expo table, then the receipt checker on an injected clock.
 */
const MINUTE = 60_000;
let sim: ExpoSimulator;
let t: TestApp;
let providers: ProviderRegistry;
let clock = Date.now();
const now = () => new Date(clock);
/** Moves the service's and Expo's clocks together. */
const advance = (ms: number) => {
  clock += ms;
  sim.clock = clock;
};

beforeAll(async () => {
  sim = await ExpoSimulator.start({ receiptDelayMs: 10 * MINUTE });
  providers = ProviderRegistry.of([new ExpoProvider({ baseUrl: new URL(sim.url) })]);
  t = await createTestApp({
    providers,
    retry: FAST_RETRY,
    now,
    expoReceipts: { delayMs: 15 * MINUTE, intervalMs: MINUTE },
  });
});
beforeEach(async () => {
  sim.reset();
  clock = Date.now();
  sim.clock = clock;
  await t.connection.db!.collection('expo_tickets').deleteMany({});
});
afterAll(async () => {
  await t.close();
  await providers.close();
  await sim.close();
});

let serial = 0;
const expoToken = () => `ExponentPushToken[e2e${++serial}xxxxxxxxxxxxxxxxxx]`;
const put = (user: string, token: string, body: object = {}) => apiClient(t.app, KEY_A).putToken(user, token, { provider_key: 'expo', ...body }).expect(204);
const statusOf = async (user: string, token: string) => (await apiClient(t.app, KEY_A).getToken(user, token).expect(200)).body;
const send = (user: string, content: object = { title: 'Hello', body: 'World' }) => apiClient(t.app, KEY_A).sendTo({ user_id: user }, { content });
const pending = () => t.connection.db!.collection('expo_tickets').countDocuments();

describe('tickets: every row of the Expo table, through POST /send', () => {
  const rows: { name: string; ticket: ExpoTicketAnswer; outcome: string; reason: string | null; status: string; attempts: number }[] = [
    { name: 'ok', ticket: { status: 'ok' }, outcome: 'delivered', reason: null, status: 'active', attempts: 1 },
    { name: 'DeviceNotRegistered', ticket: { status: 'error', error: 'DeviceNotRegistered' }, outcome: 'invalid', reason: 'expo:DeviceNotRegistered', status: 'failed', attempts: 1 },
    { name: 'MessageRateExceeded', ticket: { status: 'error', error: 'MessageRateExceeded' }, outcome: 'retryable', reason: 'expo:MessageRateExceeded', status: 'active', attempts: 3 },
    { name: 'ExpoError', ticket: { status: 'error', error: 'ExpoError' }, outcome: 'retryable', reason: 'expo:ExpoError', status: 'active', attempts: 3 },
    { name: 'ProviderError', ticket: { status: 'error', error: 'ProviderError' }, outcome: 'retryable', reason: 'expo:ProviderError', status: 'active', attempts: 3 },
    { name: 'MessageTooBig', ticket: { status: 'error', error: 'MessageTooBig' }, outcome: 'rejected', reason: 'expo:MessageTooBig', status: 'active', attempts: 1 },
    { name: 'MismatchSenderId', ticket: { status: 'error', error: 'MismatchSenderId' }, outcome: 'rejected', reason: 'expo:MismatchSenderId', status: 'active', attempts: 1 },
    { name: 'InvalidCredentials', ticket: { status: 'error', error: 'InvalidCredentials' }, outcome: 'rejected', reason: 'expo:InvalidCredentials', status: 'active', attempts: 1 },
    { name: 'DeveloperError', ticket: { status: 'error', error: 'DeveloperError' }, outcome: 'rejected', reason: 'expo:DeveloperError', status: 'active', attempts: 1 },
  ];
  it.each(rows)('ticket $name: $outcome, token $status, $attempts attempt(s)', async ({ ticket, outcome, reason, status, attempts }) => {
    const token = expoToken();
    sim.stageTicket(token, ticket);
    await put('row', token);
    const report = await send('row');
    expect(report.results).toEqual([{ user_id: 'row', token, provider_key: 'expo', outcome, reason }]);
    expect((await statusOf('row', token)).status).toBe(status);
    expect(sim.sends).toHaveLength(attempts);
    expect(await pending()).toBe(outcome === 'delivered' ? 1 : 0);
    await request(t.app).delete(`/users/row/tokens/${encodeURIComponent(token)}`).set(bearer(KEY_A)).expect(204);
  });

  it.each([
    ['a 429 TOO_MANY_REQUESTS', { status: 429 } as const],
    ['a 502 with an HTML body', { status: 502, html: true } as const],
    ['a wrong ticket count', { wrongTicketCount: true } as const],
    ['a connection reset', { reset: true } as const],
  ])('%s is retried by the sender (one request per attempt), then delivered', async (_name, staged) => {
    const token = expoToken();
    sim.stageRequests(staged);
    await put('busy', token);
    expect((await send('busy')).results[0]).toMatchObject({ outcome: 'delivered' });
    expect(sim.sends).toHaveLength(2);
    await request(t.app).delete(`/users/busy/tokens/${encodeURIComponent(token)}`).set(bearer(KEY_A)).expect(204);
  });

  it('UNAUTHORIZED (enhanced security, no access token) is rejected and the token stays active', async () => {
    const secured = await ExpoSimulator.start({ accessToken: 'expo-access-token-e2e' });
    const securedProviders = ProviderRegistry.of([new ExpoProvider({ baseUrl: new URL(secured.url) })]);
    const app = await createTestApp({ providers: securedProviders, retry: FAST_RETRY });
    try {
      const token = expoToken();
      await request(app.app).put(`/users/u/tokens/${encodeURIComponent(token)}`).set(bearer(KEY_A)).send({ provider_key: 'expo' }).expect(204);
      const report = (await request(app.app).post('/send').set(bearer(KEY_A)).send({ message: { to: { user_id: 'u' }, content: { title: 't' } } }).expect(200)).body;
      expect(report.results[0]).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^expo:UNAUTHORIZED/) });
      expect(report.summary.invalidated).toBe(0);
    } finally {
      await app.close();
      await securedProviders.close();
      await secured.close();
    }
  });

  it('PUSH_TOO_MANY_EXPERIENCE_IDS: tokens of two projects are split by its details and all delivered', async () => {
    const tokens = Array.from({ length: 4 }, expoToken);
    tokens.forEach((token, i) => sim.setProject(token, i < 2 ? '@acme/a' : '@acme/b'));
    for (const token of tokens) await put('projects', token);
    const report = await send('projects');
    expect(report.summary).toMatchObject({ delivered: 4, failed: 0 });
    expect(sim.sends.map((s) => s.recipients.length)).toEqual([4, 2, 2]);
  });

  it('tokens of different apps go in different requests from the start (one Expo project per app)', async () => {
    const [a, b] = [expoToken(), expoToken()];
    sim.setProject(a!, '@acme/a');
    sim.setProject(b!, '@acme/b');
    await put('apps', a!, { device: { app_id: 'com.acme.a' } });
    await put('apps', b!, { device: { app_id: 'com.acme.b' } });
    expect((await send('apps')).summary).toMatchObject({ delivered: 2 });
    expect(sim.sends.map((s) => s.recipients.length)).toEqual([1, 1]);
  });

  it('a payload over 4096 bytes as Expo gets it (its override merged) is rejected before sending, naming its size', async () => {
    const token = expoToken();
    await put('big', token);
    // Small for the other providers; only Expo's override makes it too big.
    const report = (await apiClient(t.app, KEY_A).send({ to: { user_id: 'big' }, content: { title: 'T' }, providers: { expo: { override: { body: 'é'.repeat(2100) } } } }).expect(200)).body;
    expect(report.results[0]).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^expo:MessageTooBig \(the payload is 42\d\d bytes; Expo takes at most 4096\)$/) });
    expect(sim.sends).toHaveLength(0);
  });

  it('a payload too big for every provider is a 400 before anything is sent, with each size', async () => {
    const token = expoToken();
    await put('bigger', token);
    const answer = await apiClient(t.app, KEY_A).send({ to: { user_id: 'bigger' }, content: { title: 'T', body: 'é'.repeat(2100) } }).expect(400);
    expect(answer.body.errors[0]).toMatchObject({ path: 'message', message: expect.stringMatching(/too large for every provider: apn \d+ bytes \(at most 4096\), firebase-fcm \d+ bytes/) });
    expect(sim.sends).toHaveLength(0);
  });

  it('a stored token that fails Expo.isExpoPushToken is invalid (expo:malformed_token) and never sent', async () => {
    const bad = 'f'.repeat(64); // a raw device token some clients send (expo/expo#22903)
    const at = new Date();
    await t.model.collection.insertOne({ workspace_id: 'ws_a', user_id: 'legacy', token: bad, provider_key: 'expo', status: 'active', revision: 1, created_at: at, updated_at: at, expiry_date: new Date(Date.now() + 86_400_000) });
    const report = await send('legacy');
    expect(report.results).toEqual([{ user_id: 'legacy', token: bad, provider_key: 'expo', outcome: 'invalid', reason: 'expo:malformed_token' }]);
    expect((await statusOf('legacy', bad)).status).toBe('failed');
    expect(sim.sends).toHaveLength(0);
  });

  it('registration refuses a token that is not an Expo push token, with a 400 naming the field', async () => {
    const res = await request(t.app).put(`/users/r/tokens/${'f'.repeat(64)}`).set(bearer(KEY_A)).send({ provider_key: 'expo' }).expect(400);
    expect(JSON.stringify(res.body)).toMatch(/token/);
  });
});

describe('receipts, on an injected clock', () => {
  it('a token dead by receipt is failed within one pass; one re-registered since the send stays active; ok receipts are done', async () => {
    const [dead, reregistered, fine] = [expoToken(), expoToken(), expoToken()];
    sim.stageReceipt(dead!, { status: 'error', error: 'DeviceNotRegistered' });
    sim.stageReceipt(reregistered!, { status: 'error', error: 'DeviceNotRegistered' });
    for (const token of [dead!, reregistered!, fine!]) await put('rcpt', token);
    expect((await send('rcpt')).summary).toMatchObject({ delivered: 3 });
    expect(await pending()).toBe(3);

    // Not yet due: nothing is asked.
    advance(14 * MINUTE);
    expect(await t.receipts.runOnce()).toMatchObject({ ok: 0, invalidated: 0, not_ready: 0 });
    expect(sim.receiptRequests).toHaveLength(0);

    await put('rcpt', reregistered!, { properties: { reinstalled: true } }); // the app registered it again after the send
    advance(2 * MINUTE);
    const report = await t.receipts.runOnce();
    expect(report).toMatchObject({ ok: 1, invalidated: 1, kept_active: 1 });
    expect(sim.receiptRequests).toHaveLength(1);
    expect((await statusOf('rcpt', dead!))).toMatchObject({ status: 'failed', status_reason: 'expo:DeviceNotRegistered' });
    expect((await statusOf('rcpt', reregistered!)).status).toBe('active');
    expect((await statusOf('rcpt', fine!)).status).toBe('active');
    expect(await pending()).toBe(0);
  });

  it('a receipt not ready yet is asked again next interval; still missing after 24 h it is counted, logged, and the token left alone', async () => {
    const [late, lost] = [expoToken(), expoToken()];
    sim.stageReceipt(lost!, 'never');
    for (const token of [late!, lost!]) await put('late', token);
    await send('late');
    advance(5 * MINUTE); // Expo makes receipts ready after 10 minutes here; we first ask at 15
    advance(10 * MINUTE);
    expect(await t.receipts.runOnce()).toMatchObject({ ok: 1, not_ready: 1 });
    advance(MINUTE / 2);
    expect(await t.receipts.runOnce()).toMatchObject({ not_ready: 0 }); // rescheduled a full interval on
    advance(24 * 60 * MINUTE);
    expect(await t.receipts.runOnce()).toMatchObject({ missing: 1 });
    expect((await statusOf('late', lost!)).status).toBe('active');
    expect(await pending()).toBe(0);
    const metrics = await t.metrics.text();
    expect(metrics).toMatch(/push_expo_receipts_checked_total\{outcome="missing"\} 1/);
  });

  it('other receipt errors are counted by outcome and leave the token alone', async () => {
    const [rate, creds] = [expoToken(), expoToken()];
    sim.stageReceipt(rate!, { status: 'error', error: 'MessageRateExceeded' });
    sim.stageReceipt(creds!, { status: 'error', error: 'InvalidCredentials' });
    for (const token of [rate!, creds!]) await put('errs', token);
    await send('errs');
    advance(16 * MINUTE);
    expect(await t.receipts.runOnce()).toMatchObject({ retryable: 1, rejected: 1, invalidated: 0 });
    for (const token of [rate!, creds!]) expect((await statusOf('errs', token)).status).toBe('active');
  });

  it('a flood of DeviceNotRegistered receipts (every one of 50) is held by the guard; 20 of 50 (ok receipts count in the total) go through', async () => {
    const flood = Array.from({ length: 50 }, expoToken);
    for (const token of flood) sim.stageReceipt(token, { status: 'error', error: 'DeviceNotRegistered' });
    await request(t.app).put('/users/flood/tokens').set(bearer(KEY_A)).send({ tokens: flood.map((token) => ({ token, provider_key: 'expo' })) }).expect(204);
    await send('flood');
    advance(16 * MINUTE);
    expect(await t.receipts.runOnce()).toMatchObject({ held: 50, invalidated: 0 });
    expect((await statusOf('flood', flood[0]!)).status).toBe('active');
    expect(await t.metrics.text()).toMatch(/push_invalidations_held_total\{provider="expo",reason="expo:DeviceNotRegistered"\} 50/);

    const some = Array.from({ length: 50 }, expoToken);
    for (const token of some.slice(0, 20)) sim.stageReceipt(token, { status: 'error', error: 'DeviceNotRegistered' });
    await request(t.app).put('/users/some/tokens').set(bearer(KEY_A)).send({ tokens: some.map((token) => ({ token, provider_key: 'expo' })) }).expect(204);
    await send('some');
    advance(16 * MINUTE);
    expect(await t.receipts.runOnce()).toMatchObject({ ok: 30, invalidated: 20, held: 0 });
  });

  it('two replicas checking at once never ask for one receipt twice', async () => {
    const tokens = Array.from({ length: 60 }, expoToken);
    await request(t.app).put('/users/replicas/tokens').set(bearer(KEY_A)).send({ tokens: tokens.map((token) => ({ token, provider_key: 'expo' })) }).expect(204);
    await send('replicas');
    advance(16 * MINUTE);
    const client = new ExpoProvider({ baseUrl: new URL(sim.url) });
    const other = new ExpoReceiptChecker(new ExpoTicketStore(t.connection.db!), new DeliveryStore(t.model), t.sendResults, async () => ({ source: client, release: () => undefined }), {
      delayMs: 15 * MINUTE, intervalMs: MINUTE, guard: { minTokens: 20, maxShare: 0.5 }, logger: createLogger('silent'), now, apply: t.outcomes.apply, applyGraceMs: 30_000,
    });
    const [a, b] = await Promise.all([t.receipts.runOnce(), other.runOnce()]).finally(() => client.close());
    expect(a.ok + b.ok).toBe(60);
    const asked = sim.receiptRequests.flatMap((r) => r.ids);
    expect(asked).toHaveLength(60);
    expect(new Set(asked).size).toBe(60);
  });

  it('/metrics shows the tickets pending and the age of the oldest', async () => {
    const token = expoToken();
    await put('m', token);
    await send('m');
    advance(7 * MINUTE);
    const metrics = await t.metrics.text();
    expect(metrics).toMatch(/push_expo_tickets_pending 1\b/);
    expect(metrics).toMatch(/push_expo_ticket_oldest_pending_seconds 420\b/);
  });
});
