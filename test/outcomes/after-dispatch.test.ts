import request from 'supertest';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';
import type { SendResultDocument } from '../../src/sender/send-result';
import { apiClient } from '../support/api-client';
import { createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../support/test-app';
import { startRestartableMongo, type RestartableMongo } from '../support/restartable-mongo';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { waitFor } from '../support/wait-for';

/**
 * After dispatch, one way (issue 28): MongoDB stops while APNs holds its answers, so every
 * write after dispatch fails. The send is answered with its outcome (never a retryable error),
 * a retry with the same Idempotency-Key pushes nothing, and once MongoDB is back every effect
 * (the dead token's `failed`, the message log, the token.invalidated event) is applied once.
 */
const lines: string[] = [];
const capture = new Writable({
  write(chunk, _encoding, done) {
    lines.push(String(chunk));
    done();
  },
});
let mongo: RestartableMongo;
let sims: SimulatedProviders;
let t: TestApp;
const LIVE = 'a'.repeat(64);
const DEAD = 'd'.repeat(64);

beforeAll(async () => {
  mongo = await startRestartableMongo();
  sims = await startSimulatedProviders();
  t = await createTestApp({
    mongo: { uri: mongo.uri, timeoutMs: 1_500 },
    providers: sims.providers,
    retry: FAST_RETRY,
    logger: createLogger('error', capture),
    outcomes: { applyGraceMs: 0 },
    webhooks: { allowHttp: true, allowPrivate: true },
  });
}, 60_000);
afterAll(async () => {
  await t.close();
  await sims.close();
  await mongo.close();
});

const send = () =>
  request(t.app).post('/send').set('Authorization', `Bearer ${KEY_A}`).set('Idempotency-Key', 'after-dispatch-1').send({ message: { to: { user_id: 'u-after' }, content: { title: 'Once' } } });

it('MongoDB stops after dispatch: the answer is the outcome, the retry pushes nothing, and every effect is applied once when it is back', async () => {
  const api = apiClient(t.app, KEY_A);
  await api.putToken('u-after', LIVE, { provider_key: 'apn' }).expect(204);
  await api.putToken('u-after', DEAD, { provider_key: 'apn' }).expect(204);
  await request(t.app).post('/webhooks').set('Authorization', `Bearer ${KEY_A}`).send({ url: 'http://127.0.0.1:9/hooks', events: ['token.invalidated', 'message.updated'] }).expect(201);
  sims.apns.stage(LIVE, { delayMs: 4_000, then: { status: 200 } });
  sims.apns.stage(DEAD, { delayMs: 4_000, then: { status: 410, reason: 'Unregistered', timestamp: Date.now() + 60_000 } });

  const sending = send();
  const first = sending.then((res) => res);
  await waitFor(() => sims.apns.received.length === 2, 'both pushes to reach APNs');
  const stopping = Date.now();
  await mongo.stop();
  const stoppedIn = Date.now() - stopping;
  const answer = await first;
  // The answers were held long enough for MongoDB to be down when they came.
  expect(stoppedIn).toBeLessThan(3_500);
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ summary: { delivered: 1, invalidated: 1 }, effects: 'pending' });
  expect(t.sender.pending.count).toBe(1);

  // While MongoDB is down, a retry learns nothing and sends nothing.
  expect([409, 503]).toContain((await send()).status);
  expect(sims.apns.received).toHaveLength(2);

  await mongo.start();
  await waitFor(() => t.sender.pending.count === 0, 'the kept send result to be written');
  const recorded = (await t.database.db.collection<SendResultDocument>('send_results').findOne({ _id: answer.body.requestId }))!;
  expect(recorded.tokens.map((line) => line.outcome).sort()).toEqual(['delivered', 'invalid']);
  await waitFor(async () => (await t.outcomeQueue.runOnce()) >= 0 && (await t.database.db.collection('send_results').countDocuments()) === 0, 'the outcomes queue to apply it');

  // The kept answer comes back once the key's write gets through; never a second push.
  await waitFor(async () => (await send()).status === 200, 'the Idempotency-Key answer to be kept');
  const replay = await send().expect(200);
  expect(replay.headers['idempotent-replayed']).toBe('true');
  expect(replay.body).toEqual(answer.body);
  expect(sims.apns.received).toHaveLength(2);

  // Every effect once.
  const tokens = (await api.listTokens('u-after').expect(200)).body.tokens as { token: string; status: string; status_reason: string | null }[];
  expect(Object.fromEntries(tokens.map((tk) => [tk.token, tk.status]))).toEqual({ [LIVE]: 'active', [DEAD]: 'failed' });
  const message = (await request(t.app).get(`/messages/${answer.body.requestId}/history`).set('Authorization', `Bearer ${KEY_A}`).expect(200)).body.results as { type: string }[];
  expect(message.filter((e) => e.type === 'TOKEN_INVALIDATED')).toHaveLength(1);
  expect(message.filter((e) => e.type === 'SENT')).toHaveLength(1);
  const events = await t.database.db.collection('webhook_deliveries').find({ type: 'token.invalidated' }).toArray();
  expect(events).toHaveLength(1);

  // Applying the same result again changes nothing: no second event of either kind.
  const updates = await t.database.db.collection('webhook_deliveries').countDocuments({ type: 'message.updated' });
  expect(updates).toBeGreaterThan(0);
  await t.outcomes.applyAll(recorded);
  expect(await t.database.db.collection('webhook_deliveries').countDocuments({ type: 'token.invalidated' })).toBe(1);
  expect(await t.database.db.collection('webhook_deliveries').countDocuments({ type: 'message.updated' })).toBe(updates);
  const again = (await request(t.app).get(`/messages/${answer.body.requestId}/history`).set('Authorization', `Bearer ${KEY_A}`).expect(200)).body.results as { type: string }[];
  expect(again).toHaveLength(message.length);
  expect(lines.filter((line) => line.includes('unhandled error'))).toEqual([]);
}, 90_000);
