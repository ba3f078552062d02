import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { OneSignalProvider } from '../../src/providers/onesignal-provider';
import { ProviderRegistry } from '../../src/providers/provider-registry';
import { OneSignalSimulator } from '../simulators/onesignal-simulator';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';

/** OneSignal through POST /send, the real adapter and the simulator: every row of the classification table. */
const APP_ID = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';
const API_KEY = 'os_v2_app_simulatorkey0123456789';
let sim: OneSignalSimulator;
let t: TestApp;
beforeAll(async () => {
  sim = await OneSignalSimulator.start({ appId: APP_ID, apiKey: API_KEY });
  const providers = ProviderRegistry.fromConfig({ apns: undefined, fcm: undefined, onesignal: { appId: APP_ID, apiKey: API_KEY, endpoint: new URL(sim.url) } });
  t = await createTestApp({ providers });
});
afterEach(() => sim.reset());
afterAll(async () => {
  await t.close();
  await sim.close();
});

const ids = (n: number) => Array.from({ length: n }, () => randomUUID());
const register = (user: string, tokens: string[]) => apiClient(t.app, KEY_A).putTokens(user, tokens.map((token) => ({ token, provider_key: 'onesignal' }))).expect(204);
const send = (user: string) => apiClient(t.app, KEY_A).sendTo({ user_id: user }, { content: { title: 'Hi', body: 'there' }, data: { order: '42' } });
const statusOf = async (user: string, token: string) => (await apiClient(t.app, KEY_A).getToken(user, token).expect(200)).body.status;
const outcomes = (report: { results: { token: string; outcome: string; reason: string | null }[] }) => Object.fromEntries(report.results.map((r) => [r.token, [r.outcome, r.reason]]));

it('Subscribed ids are delivered in one request with include_subscription_ids, Key auth and an idempotency key; an unsubscribed one is dead; an unknown one is not reported', async () => {
  const [live, gone, unknown] = ids(3);
  sim.setState(gone!, 'unsubscribed');
  sim.setState(unknown!, 'nonexistent');
  await register('mixed', [live!, gone!, unknown!]);
  const report = await send('mixed');
  expect(outcomes(report)).toEqual({ [live!]: ['delivered', null], [gone!]: ['invalid', 'onesignal:unsubscribed'], [unknown!]: ['delivered', null] });
  expect(await statusOf('mixed', gone!)).toBe('failed');
  expect(sim.received).toHaveLength(1);
  expect(sim.received[0]!.body).toMatchObject({ app_id: APP_ID, contents: { en: 'there' }, headings: { en: 'Hi' }, data: { order: '42' }, idempotency_key: expect.stringMatching(/^[0-9a-f-]{36}$/) });
});

it('"All included players are not subscribed" for a batch of one: dead', async () => {
  const [only] = ids(1);
  sim.setState(only!, 'unsubscribed');
  await register('single', [only!]);
  expect(outcomes(await send('single'))).toEqual({ [only!]: ['invalid', 'onesignal:not subscribed'] });
  expect(await statusOf('single', only!)).toBe('failed');
});

it('The same answer for a batch of several: rejected, and every token stays active', async () => {
  const batch = ids(3);
  for (const id of batch) sim.setState(id, 'unsubscribed');
  await register('whole', batch);
  const report = await send('whole');
  expect(report.results.every((r: { outcome: string }) => r.outcome === 'rejected')).toBe(true);
  for (const id of batch) expect(await statusOf('whole', id)).toBe('active');
});

it('A wrong app id makes every id look invalid: rejected, never invalidated', async () => {
  const wrong = await createTestApp({
    providers: ProviderRegistry.fromConfig({ apns: undefined, fcm: undefined, onesignal: { appId: randomUUID(), apiKey: API_KEY, endpoint: new URL(sim.url) } }),
  });
  const batch = ids(4);
  await request(wrong.app).put('/users/w/tokens').set(bearer(KEY_A)).send({ tokens: batch.map((token) => ({ token, provider_key: 'onesignal' })) }).expect(204);
  const report = (await request(wrong.app).post('/send').set(bearer(KEY_A)).send({ message: { to: { user_id: 'w' }, content: { title: 't' } } }).expect(200)).body;
  expect(report.summary).toMatchObject({ invalidated: 0, failed: 4 });
  expect(report.results[0].reason).toMatch(/wrong ONESIGNAL_APP_ID/);
  await wrong.close();
});

it('A wrong API key is a credential error: rejected, tokens untouched', async () => {
  const wrong = await createTestApp({
    providers: ProviderRegistry.fromConfig({ apns: undefined, fcm: undefined, onesignal: { appId: APP_ID, apiKey: 'os_v2_wrong_key_0000', endpoint: new URL(sim.url) } }),
  });
  const [id] = ids(1);
  await request(wrong.app).put(`/users/k/tokens/${id}`).set(bearer(KEY_A)).send({ provider_key: 'onesignal' }).expect(204);
  const report = (await request(wrong.app).post('/send').set(bearer(KEY_A)).send({ message: { to: { user_id: 'k' }, content: { title: 't' } } }).expect(200)).body;
  expect(report.results[0]).toMatchObject({ outcome: 'rejected', reason: "onesignal:access_denied (check ONESIGNAL_API_KEY or the app's onesignal credential)" });
  await wrong.close();
});

it('A 429 with Retry-After, then a 502 with an HTML body, are retried with the same idempotency key; one notification is created', async () => {
  const [id] = ids(1);
  await register('busy', [id!]);
  sim.stageRequests({ status: 429, retryAfterSeconds: 1 }, { status: 502, html: true });
  const report = await send('busy');
  expect(outcomes(report)).toEqual({ [id!]: ['delivered', null] });
  expect(sim.received).toHaveLength(3);
  expect(new Set(sim.received.map((r) => r.body.idempotency_key)).size).toBe(1);
  expect(sim.created).toBe(1);
});

it.each([
  ['a 400 (one malformed id rejects the whole request)', { status: 400, body: { errors: ['Incorrect subscription_id format in include_subscription_ids (not a valid UUID): x'] } }, 'rejected', /^onesignal:400 \(Incorrect subscription_id format/],
  ['id "" with another error: nothing sent', { status: 200, body: { id: '', errors: ['Message Notifications must have English language content'] } }, 'rejected', /^onesignal:nothing_sent \(Message Notifications/],
])('%s is rejected and the token stays active', async (_name, staged, outcome, reason) => {
  const [id] = ids(1);
  await register('other', [id!]);
  sim.stageRequests(staged);
  const report = await send('other');
  expect(report.results[0]).toMatchObject({ outcome, reason: expect.stringMatching(reason) });
  expect(sim.received).toHaveLength(1);
  expect(await statusOf('other', id!)).toBe('active');
  await request(t.app).delete(`/users/other/tokens/${id}`).set(bearer(KEY_A)).expect(204);
});

it('A connection reset is retryable and retried with the same idempotency key', async () => {
  const [id] = ids(1);
  await register('reset', [id!]);
  sim.stageRequests({ reset: true });
  expect(outcomes(await send('reset'))).toEqual({ [id!]: ['delivered', null] });
  expect(sim.received).toHaveLength(2);
  expect(new Set(sim.received.map((r) => r.body.idempotency_key)).size).toBe(1);
});

it('A stored id that is not a UUID is invalid (onesignal:malformed_id) and never sent, so it can not sink its batch', async () => {
  const [live] = ids(1);
  const at = new Date();
  await t.model.collection.insertOne({ workspace_id: 'ws_a', user_id: 'legacy', token: 'player-123', provider_key: 'onesignal', status: 'active', revision: 1, created_at: at, updated_at: at, expiry_date: new Date(Date.now() + 86_400_000) });
  await register('legacy', [live!]);
  expect(outcomes(await send('legacy'))).toEqual({ 'player-123': ['invalid', 'onesignal:malformed_id'], [live!]: ['delivered', null] });
  expect(sim.received.map((r) => r.ids)).toEqual([[live!]]);
});

it('A request repeated with the same idempotency key is replayed, not sent twice', async () => {
  const provider = new OneSignalProvider({ appId: APP_ID, apiKey: API_KEY, endpoint: new URL(sim.url) });
  const batch = ids(2);
  const first = await provider.send({ body: 'x' }, batch, { sendId: 'send-1' });
  const second = await provider.send({ body: 'x' }, batch, { sendId: 'send-1' });
  expect(first).toEqual(second);
  expect(sim.received.map((r) => r.replayed)).toEqual([false, true]);
  expect(sim.created).toBe(1);
});

it('More than 2,000 recipients go out in chunks of at most 2,000', async () => {
  const provider = new OneSignalProvider({ appId: APP_ID, apiKey: API_KEY, endpoint: new URL(sim.url) });
  const results = await provider.send({ body: 'x' }, ids(4_500), { sendId: 'big' });
  expect(results.every((r) => r.outcome === 'delivered')).toBe(true);
  expect(sim.received.map((r) => r.ids.length).sort((a, b) => b - a)).toEqual([2_000, 2_000, 500]);
});
