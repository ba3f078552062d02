import { createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { apnsToken } from '../support/tokens';

/**
 * Courier's message.delay (issue 19): a delayed send answers 202 and leaves DELAYED messages;
 * the scheduler sends each when due, resolving the recipient's tokens then; a cancel wins only
 * while the message is DELAYED. The clock is the test's, so "due" needs no waiting.
 */
let sims: SimulatedProviders;
let t: TestApp;
let clock = Date.parse('2026-11-28T12:00:00Z');
const now = () => new Date(clock);
const api = () => apiClient(t.app, KEY_A);
const put = (user: string, token: string) => api().putToken(user, token, { provider_key: 'apn' }).expect(204);
const record = async (id: string) => (await api().get(`/messages/${id}`).expect(200)).body;
const delayed = async (to: unknown, delay: object) => {
  const answer = await api().send({ to, content: { title: 'Later' }, delay }).expect(202);
  expect(Object.keys(answer.body)).toEqual(['requestId']);
  return answer.body.requestId as string;
};

beforeAll(async () => {
  sims = await startSimulatedProviders();
  t = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, now });
});
afterEach(() => sims.apns.reset());
afterAll(async () => {
  await sims.close();
  await t.close();
});

it('DELAYED until due, then sent to the tokens the user has at that moment', async () => {
  const id = await delayed({ user_id: 'later-user' }, { duration: 60_000 });
  const waiting = await record(id);
  expect(waiting).toMatchObject({ status: 'DELAYED', enqueued: clock, deliver_at: clock + 60_000 });
  expect(waiting).not.toHaveProperty('sent');
  // Registered after the request: the send resolves tokens when due.
  await put('later-user', apnsToken(1));
  expect(await t.scheduler.runOnce()).toEqual({ sent: 0, canceled: 0, failed: 0, dead_lettered: 0 });
  expect(sims.apns.received).toHaveLength(0);

  clock += 60_000;
  expect(await t.scheduler.runOnce()).toEqual({ sent: 1, canceled: 0, failed: 0, dead_lettered: 0 });
  expect(sims.apns.received.map((r) => r.token)).toEqual([apnsToken(1)]);
  const sent = await record(id);
  expect(sent).toMatchObject({ status: 'SENT', sent: clock });
  expect((await api().get(`/messages/${id}/history`).expect(200)).body.results.map((e: { type: string }) => e.type)).toEqual(['ENQUEUED', 'DELAYED', 'ENQUEUED', 'SENT']);
  // Once sent, never again, and a cancel is a 409 with the record.
  expect(await t.scheduler.runOnce()).toEqual({ sent: 0, canceled: 0, failed: 0, dead_lettered: 0 });
  const late = await api().post(`/messages/${id}/cancel`).expect(409);
  expect(late.body).toMatchObject({ id, status: 'SENT' });
});

it('cancel while DELAYED: 200 with the record, CANCELED, and never sent', async () => {
  await put('cancel-user', apnsToken(2));
  const id = await delayed({ user_id: 'cancel-user' }, { until: new Date(clock + 3_600_000).toISOString() });
  const canceled = await api().post(`/messages/${id}/cancel`).expect(200);
  expect(canceled.body).toMatchObject({ id, status: 'CANCELED' });
  // A second cancel: 409, the record still CANCELED.
  expect((await api().post(`/messages/${id}/cancel`).expect(409)).body.status).toBe('CANCELED');
  clock += 3_600_000;
  await t.scheduler.runOnce();
  expect(sims.apns.received).toHaveLength(0);
  expect((await record(id)).status).toBe('CANCELED');
});

it('several recipients: one DELAYED message each, canceled one by one', async () => {
  await put('multi-a', apnsToken(3));
  await put('multi-b', apnsToken(4));
  const requestId = await delayed([{ user_id: 'multi-a' }, { user_id: 'multi-b' }], { duration: 1_000 });
  const messages = (await api().get(`/messages?messageId=${requestId}`).expect(200)).body.results as { id: string; recipient: string; status: string }[];
  expect(messages.map((m) => m.status)).toEqual(['DELAYED', 'DELAYED']);
  await api().post(`/messages/${messages.find((m) => m.recipient === 'multi-a')!.id}/cancel`).expect(200);
  clock += 1_000;
  expect(await t.scheduler.runOnce()).toMatchObject({ sent: 1 });
  expect(sims.apns.received.map((r) => r.token)).toEqual([apnsToken(4)]);
});

it('a claim lost to a dead replica is picked up again once its lease ends', async () => {
  await put('lease-user', apnsToken(5));
  const id = await delayed({ user_id: 'lease-user' }, { duration: 0 });
  // A replica claims its row, starts it (ENQUEUED), and dies before sending.
  await t.database.db.collection('scheduled_sends').updateOne({ _id: id as never }, { $set: { claim: 'dead-replica', due_at: new Date(clock + 5 * 60_000) }, $inc: { attempts: 1 } });
  await t.messageStore.collection.updateOne({ _id: id }, { $set: { status: 'ENQUEUED' } });
  expect(await t.scheduler.runOnce()).toMatchObject({ sent: 0 });
  clock += 5 * 60_000;
  expect(await t.scheduler.runOnce()).toMatchObject({ sent: 1 });
  expect(sims.apns.received.map((r) => r.token)).toEqual([apnsToken(5)]);
  expect((await record(id)).status).toBe('SENT');
  const events = (await api().get(`/messages/${id}/history?type=ENQUEUED`).expect(200)).body.results;
  expect(events.at(-1)).toMatchObject({ type: 'ENQUEUED', attempt: 2 });
});

it('a row whose message was never written (its request died in between) is waited for a minute, then dropped', async () => {
  const rows = t.database.db.collection('scheduled_sends');
  await rows.insertOne({ _id: 'orphan-row' as never, workspace_id: 'ws_a', target: { user_id: 'nobody' }, notification: { title: 'x' }, tracking: false, created_at: new Date(clock), due_at: new Date(clock) });
  expect(await t.scheduler.runOnce()).toEqual({ sent: 0, canceled: 0, failed: 0, dead_lettered: 0 });
  expect(await rows.countDocuments({ _id: 'orphan-row' as never })).toBe(1);
  clock += 61_000;
  expect(await t.scheduler.runOnce()).toEqual({ sent: 0, canceled: 1, failed: 0, dead_lettered: 0 });
  expect(await rows.countDocuments({ _id: 'orphan-row' as never })).toBe(0);
});

it('only pending delayed sends have rows: sent and canceled ones are gone', async () => {
  expect(await t.database.db.collection('scheduled_sends').countDocuments()).toBe(0);
});

describe('bad delays are a 400 naming the field', () => {
  it.each([
    [{ duration: 8 * 86_400_000 }, 'message.delay.duration'],
    [{ until: '2026-12-30T00:00:00Z' }, 'message.delay.until'],
    [{ until: 'Mo-Fr 09:00-17:00' }, 'message.delay.until'],
    [{ until: '2026-12-01T09:00:00Z', timezone: 'Europe/Paris' }, 'message.delay.timezone'],
    [{ duration: 1000, until: '2026-12-01T09:00:00Z' }, 'message.delay'],
    [{}, 'message.delay'],
    [{ duration: -1 }, 'message.delay.duration'],
  ])('%j', async (delay, path) => {
    const answer = await api().send({ to: { user_id: 'u' }, content: { title: 'x' }, delay }).expect(400);
    expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('the opening-hours form of until says so', async () => {
    const answer = await api().send({ to: { user_id: 'u' }, delay: { until: 'Mo-Fr 09:00-17:00' } }).expect(400);
    expect(answer.body.errors[0].message).toMatch(/opening-hours/);
  });
});
