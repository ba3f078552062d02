import request from 'supertest';
import { createTestApp, FAST_RETRY, KEY_A, KEY_B, TEST_API_KEYS, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { bodyHash } from '../../src/messages/idempotency';
import { apnsToken } from '../support/tokens';

/** Idempotency-Key on POST /send (issue 19), every rule, against the simulators' counts. */
const SEND_ONLY = 'sk_test_send_only_1';
let sims: SimulatedProviders;
let t: TestApp;
const send = (key: string | undefined, message: object, apiKey = KEY_A) => {
  const req = request(t.app).post('/send').set('Authorization', `Bearer ${apiKey}`);
  return (key === undefined ? req : req.set('Idempotency-Key', key)).send({ message });
};

beforeAll(async () => {
  sims = await startSimulatedProviders();
  t = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, apiKeys: `${TEST_API_KEYS},ws_a:${SEND_ONLY}=send` });
  await apiClient(t.app, KEY_A).putToken('idem-user', apnsToken(1), { provider_key: 'apn' }).expect(204);
});
afterEach(() => sims.apns.reset());
afterAll(async () => {
  await sims.close();
  await t.close();
});

const message = { to: { user_id: 'idem-user' }, content: { title: 'Once' } };

it('a repeat with the same key and body answers the stored response, replayed, and sends nothing', async () => {
  const first = await send('order-1', message).expect(200);
  expect(first.headers['idempotent-replayed']).toBeUndefined();
  // Key order in the body does not make it another body.
  const again = await send('order-1', { content: { title: 'Once' }, to: { user_id: 'idem-user' } }).expect(200);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.body).toEqual(first.body);
  expect(sims.apns.received).toHaveLength(1);
  expect((await apiClient(t.app, KEY_A).get(`/messages?messageId=${first.body.requestId}`).expect(200)).body.results).toHaveLength(1);
});

it('the replay shows a send-only key no more than its own answer would', async () => {
  await send('order-redacted', message).expect(200);
  const replay = await send('order-redacted', message, SEND_ONLY).expect(200);
  expect(replay.body.results[0].token).toBe(`****${apnsToken(1).slice(-4)}`);
});

it('the same key with another body is a 422', async () => {
  await send('order-2', message).expect(200);
  const other = await send('order-2', { ...message, content: { title: 'Twice' } }).expect(422);
  expect(other.body.message).toMatch(/Idempotency-Key/);
  expect(sims.apns.received).toHaveLength(1);
});

it('a repeat while the first is still running is a 409', async () => {
  // The first request holds the key (as one on another replica would, mid-send).
  await expect(t.idempotency.begin('ws_a', 'order-3', bodyHash({ message }), 'request-3', new Date(), async () => false)).resolves.toEqual({ kind: 'new' });
  const running = await send('order-3', message).expect(409);
  expect(running.body.message).toMatch(/still running/);
  expect(sims.apns.received).toHaveLength(0);
});

it('a 400 from validation is not stored: the key stays free', async () => {
  await send('order-4', { ...message, content: { title: 7 } }).expect(400);
  await send('order-4', message).expect(200);
  expect(sims.apns.received).toHaveLength(1);
});

it('keys are per workspace', async () => {
  await send('order-5', message).expect(200);
  const b = await send('order-5', message, KEY_B).expect(200);
  expect(b.headers['idempotent-replayed']).toBeUndefined();
});

it('a delayed send keeps its 202 and requestId', async () => {
  const first = await send('order-6', { ...message, delay: { duration: 60_000 } }).expect(202);
  const again = await send('order-6', { ...message, delay: { duration: 60_000 } }).expect(202);
  expect(again.body).toEqual(first.body);
  expect((await apiClient(t.app, KEY_A).get(`/messages?messageId=${first.body.requestId}`).expect(200)).body.results).toHaveLength(1);
});

it.each([
  ['empty', ''],
  ['too long', 'k'.repeat(256)],
  ['not printable', 'tab\there'],
])('a key that is %s is a 400 naming Idempotency-Key', async (_name, key) => {
  const answer = await send(key, message).expect(400);
  expect(answer.body.errors[0].path).toBe('Idempotency-Key');
});

it('a key of 255 printable characters is fine', async () => {
  await send('~'.repeat(255), message).expect(200);
});
