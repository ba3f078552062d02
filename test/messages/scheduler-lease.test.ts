import { createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { waitFor } from '../support/wait-for';
import { MAX_SCHEDULED_ATTEMPTS } from '../../src/messages/scheduler';
import { apnsToken } from '../support/tokens';

/**
 * Leases cover the work (issue 28): a provider slower than the scheduler's lease. Before, a
 * replica claimed 50 rows for one lease and worked 4 at a time, so rows still being sent (or
 * still waiting their turn) became due again, and the other replica sent them too. Now each
 * row's lease is renewed while it is sent, and a row whose lease was lost is left to its new
 * holder.
 */
let sims: SimulatedProviders;
let a: TestApp;
let b: TestApp;
const LEASE_MS = 600;

beforeAll(async () => {
  sims = await startSimulatedProviders();
  a = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, messages: { schedulerLeaseMs: LEASE_MS } });
  b = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, messages: { schedulerLeaseMs: LEASE_MS }, database: a.database });
});
afterAll(async () => {
  await b.close();
  await a.close();
  await sims.close();
});

it('two replicas and a provider three times slower than the lease: each delayed message is sent once', async () => {
  const count = 10;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    await apiClient(a.app, KEY_A).putToken(`slow-${i}`, apnsToken(500 + i), { provider_key: 'apn' }).expect(204);
    sims.apns.stage(apnsToken(500 + i), { delayMs: 3 * LEASE_MS, then: { status: 200 } });
    ids.push((await apiClient(a.app, KEY_A).send({ to: { user_id: `slow-${i}` }, content: { title: 'Once' }, delay: { duration: 50 } }).expect(202)).body.requestId);
  }
  const sentAll = async () => (await a.messageStore.collection.countDocuments({ _id: { $in: ids }, status: 'SENT' })) === count;
  await waitFor(async () => {
    await Promise.all([a.scheduler.runOnce(), b.scheduler.runOnce()]);
    return sentAll();
  }, 'every delayed message to be sent', { timeoutMs: 60_000 });
  const tokens = sims.apns.received.map((r) => r.token);
  expect(tokens).toHaveLength(count);
  expect(new Set(tokens).size).toBe(count);
}, 90_000);

it('a row whose message fails every attempt is dead-lettered: UNDELIVERABLE, with a DEAD_LETTERED event, and its row gone', async () => {
  const api = apiClient(a.app, KEY_A);
  await api.putToken('doomed', apnsToken(900), { provider_key: 'apn' }).expect(204);
  const { requestId } = (await api.send({ to: { user_id: 'doomed' }, content: { title: 'Never' }, delay: { duration: 60_000 } }).expect(202)).body;
  // As if every claim so far had failed: the next claim is one past the limit.
  await a.database.db.collection('scheduled_sends').updateOne({ _id: requestId }, { $set: { attempts: MAX_SCHEDULED_ATTEMPTS, due_at: new Date(), last_error: 'connect ECONNREFUSED' } });
  expect(await a.scheduler.runOnce()).toMatchObject({ dead_lettered: 1, sent: 0 });
  const message = (await api.get(`/messages/${requestId}`).expect(200)).body;
  expect(message.status).toBe('UNDELIVERABLE');
  expect(message.error).toMatch(/dead-lettered after 10 attempts: connect ECONNREFUSED/);
  const history = (await api.get(`/messages/${requestId}/history`).expect(200)).body.results as { type: string }[];
  expect(history.map((e) => e.type)).toContain('DEAD_LETTERED');
  expect(await a.database.db.collection('scheduled_sends').countDocuments({ _id: requestId })).toBe(0);
  expect(sims.apns.received.filter((r) => r.token === apnsToken(900))).toHaveLength(0);
});
