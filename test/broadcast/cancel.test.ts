import { apiClient } from '../support/api-client';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../support/test-app';
import { apnsToken } from '../support/tokens';
import { waitFor } from '../support/wait-for';

/**
 * Cancel mid-broadcast (issue 30): POST /messages/:id/cancel stops a running broadcast. No
 * chunk is handed to a provider after it; the chunks in flight end; the message becomes
 * CANCELED, and its progress says exactly how many tokens were sent and how many skipped.
 */
const CHUNK = 10;
const TOKENS = 120;
let sims: SimulatedProviders;
let t: TestApp;
beforeAll(async () => {
  sims = await startSimulatedProviders();
  t = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, broadcast: { chunkSize: CHUNK, intervalMs: 20, concurrency: 1 } });
  t.broadcastWorker.start();
});
afterAll(async () => {
  await t.close();
  await sims.close();
});

it('stops a running broadcast: nothing is dispatched after the cancel, and the answer and the message say how many were sent', async () => {
  const api = apiClient(t.app, KEY_A);
  for (let i = 0; i < TOKENS; i++) {
    await api.putToken(`cancel-${i}`, apnsToken(5000 + i), { provider_key: 'apn' }).expect(204);
    sims.apns.stage(apnsToken(5000 + i), { delayMs: 200, then: { status: 200 } });
  }
  await api.put('/lists/cancel.me/subscriptions', { recipients: Array.from({ length: TOKENS }, (_, i) => ({ recipientId: `cancel-${i}` })) }).expect(204);
  const { body } = await api.send({ to: { list_id: 'cancel.me' }, content: { title: 'Stop me' } }).expect(202);
  await waitFor(() => sims.apns.received.length >= 3 * CHUNK, 'a few chunks to go out');

  const canceled = await api.post(`/messages/${body.requestId}/cancel`).expect(200);
  const receivedAtCancel = sims.apns.received.length;
  expect(canceled.body).toMatchObject({ id: body.requestId, progress: { canceled: true } });
  // What was sent when it was canceled, and at most the one chunk then in flight.
  expect(canceled.body.progress.sent).toBeLessThanOrEqual(receivedAtCancel);

  let message: Record<string, any> = {};
  await waitFor(async () => {
    message = (await api.get(`/messages/${body.requestId}`).expect(200)).body;
    return message.status === 'CANCELED';
  }, 'the broadcast to stop');
  const sent = sims.apns.received.length;
  expect(sent).toBeLessThan(TOKENS);
  expect(sent).toBeLessThanOrEqual(receivedAtCancel + CHUNK);
  expect(message.progress).toMatchObject({ running: false, canceled: true, total: TOKENS, sent, delivered: sent, skipped: TOKENS - sent });
  // Nothing more goes out afterwards.
  await t.broadcastWorker.runOnce();
  expect(sims.apns.received).toHaveLength(sent);
  // A second cancel: too late, 409 with the record.
  await api.post(`/messages/${body.requestId}/cancel`).expect(409);
});

it('a delayed broadcast canceled before it is due never goes out', async () => {
  const api = apiClient(t.app, KEY_A);
  await api.putToken('delayed-fan', apnsToken(6000), { provider_key: 'apn' }).expect(204);
  await api.put('/lists/delayed.list/subscriptions/delayed-fan', {}).expect(204);
  sims.apns.reset();
  const { body } = await api.send({ to: { list_id: 'delayed.list' }, content: { title: 'Later' }, delay: { duration: 500 } }).expect(202);
  expect((await api.get(`/messages/${body.requestId}`).expect(200)).body.status).toBe('DELAYED');
  await api.post(`/messages/${body.requestId}/cancel`).expect(200);
  // Out of the planner's queue for good: no time can make it due.
  expect(await t.broadcastStore.broadcasts.findOne({ _id: body.requestId })).toMatchObject({ status: 'done', canceled_at: expect.any(Date) });
  expect((await t.broadcastStore.broadcasts.findOne({ _id: body.requestId }))?.plan_due_at).toBeUndefined();
  await t.broadcastWorker.runOnce();
  expect(sims.apns.received).toHaveLength(0);
  expect((await api.get(`/messages/${body.requestId}`).expect(200)).body.status).toBe('CANCELED');
});

it('a delayed broadcast goes out when due', async () => {
  const api = apiClient(t.app, KEY_A);
  await api.putToken('later-fan', apnsToken(6001), { provider_key: 'apn' }).expect(204);
  await api.put('/lists/later.list/subscriptions/later-fan', {}).expect(204);
  sims.apns.reset();
  const { body } = await api.send({ to: { list_id: 'later.list' }, content: { title: 'Later' }, delay: { duration: 300 } }).expect(202);
  expect((await api.get(`/messages/${body.requestId}`).expect(200)).body.status).toBe('DELAYED');
  await waitFor(async () => (await api.get(`/messages/${body.requestId}`)).body.status === 'SENT', 'the delayed broadcast to go out');
  expect(sims.apns.received.map((r) => r.token)).toEqual([apnsToken(6001)]);
});
