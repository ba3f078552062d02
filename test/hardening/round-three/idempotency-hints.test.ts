import request from 'supertest';
import { bearer, createTestApp, FAST_RETRY, KEY_A, TEST_API_KEYS, type TestApp } from '../../support/test-app';
import { startSimulatedProviders, type SimulatedProviders } from '../../support/simulated-providers';
import { apnsToken } from '../../support/tokens';

/**
 * Round three, finding 10: `idempotency_keys` kept the whole /send answer, whole tokens
 * included, for 24 hours, against the message log's own rule of keeping hints only. Now it
 * keeps hints and token ids; a replay to a key with tokens:read shows whole tokens again.
 */
const SEND_ONLY = 'sk_round3_idem_send_only';
let sims: SimulatedProviders;
let t: TestApp;
const UNREGISTERED = apnsToken(0xdead);
beforeAll(async () => {
  sims = await startSimulatedProviders();
  t = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, apiKeys: `${TEST_API_KEYS},ws_a:${SEND_ONLY}=send` });
  await request(t.app).put(`/users/idem-hints/tokens/${apnsToken(41)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
});
afterAll(async () => {
  await t.close();
  await sims.close();
});

const body = { message: { to: [{ user_id: 'idem-hints' }, { token: UNREGISTERED }], content: { title: 'Once' } } };
const send = (key: string) => request(t.app).post('/send').set(bearer(key)).set('Idempotency-Key', 'hints-1').send(body);

it('the kept answer holds hints, never a whole token; a replay with tokens:read shows whole tokens, one without shows hints', async () => {
  const first = await send(KEY_A).expect(200);
  expect(first.body.results.map((r: { token: string }) => r.token).sort()).toEqual([apnsToken(41), UNREGISTERED].sort());
  const stored = JSON.stringify(await t.database.db.collection('idempotency_keys').findOne({ key: 'hints-1' }));
  expect(stored).not.toContain(apnsToken(41));
  expect(stored).not.toContain(UNREGISTERED);
  expect(stored).toContain(`****${apnsToken(41).slice(-4)}`);

  const replay = await send(KEY_A).expect(200);
  expect(replay.headers['idempotent-replayed']).toBe('true');
  expect(replay.body).toEqual(first.body);
  const sendOnly = await send(SEND_ONLY).expect(200);
  expect(sendOnly.body.results.every((r: { token: string }) => r.token.startsWith('****'))).toBe(true);
  expect(sims.apns.received).toHaveLength(1);
});
