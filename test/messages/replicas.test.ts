import { createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { openTestDatabase } from '../support/test-db';
import { startServiceProcess, simulatorEnv, type ServiceProcess } from '../support/service-process';
import { apnsToken } from '../support/tokens';
import { waitFor } from '../support/wait-for';

/**
 * Delayed messages and idempotency across replicas (issue 19): two service instances on one
 * database never send a delayed message twice, a cancel racing the scheduler settles on one
 * answer, a delayed send survives a restart of the real service process, and an
 * Idempotency-Key holds across two real processes.
 */
let sims: SimulatedProviders;

beforeAll(async () => {
  sims = await startSimulatedProviders();
});
afterEach(() => sims.apns.reset());
afterAll(async () => {
  await sims.close();
});

describe('two replicas in one process, one database, one clock', () => {
  let a: TestApp;
  let b: TestApp;
  let clock = Date.parse('2026-11-28T12:00:00Z');
  const now = () => new Date(clock);
  beforeAll(async () => {
    a = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, now });
    b = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, now, database: a.database });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('never send a delayed message twice, however their passes interleave', async () => {
    const count = 60;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      await apiClient(a.app, KEY_A).putToken(`replica-${i}`, apnsToken(100 + i), { provider_key: 'apn' }).expect(204);
      ids.push((await apiClient(i % 2 ? a.app : b.app, KEY_A).send({ to: { user_id: `replica-${i}` }, content: { title: 'Once' }, delay: { duration: 1_000 } }).expect(202)).body.requestId);
    }
    clock += 1_000;
    const passes = await Promise.all([a.scheduler.runOnce(), b.scheduler.runOnce(), a.scheduler.runOnce(), b.scheduler.runOnce()]);
    expect(passes.reduce((sum, p) => sum + p.sent, 0)).toBe(count);
    const tokens = sims.apns.received.map((r) => r.token);
    expect(tokens).toHaveLength(count);
    expect(new Set(tokens).size).toBe(count);
    const statuses = await Promise.all(ids.map(async (id) => (await apiClient(b.app, KEY_A).get(`/messages/${id}`).expect(200)).body.status));
    expect(new Set(statuses)).toEqual(new Set(['SENT']));
  });

  it('a cancel racing the scheduler: each message is either canceled and never sent, or sent and the cancel a 409', async () => {
    const count = 30;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      await apiClient(a.app, KEY_A).putToken(`race-${i}`, apnsToken(300 + i), { provider_key: 'apn' }).expect(204);
      ids.push((await apiClient(a.app, KEY_A).send({ to: { user_id: `race-${i}` }, content: { title: 'Race' }, delay: { duration: 1_000 } }).expect(202)).body.requestId);
    }
    clock += 1_000;
    const [cancels] = await Promise.all([
      Promise.all(ids.map((id) => apiClient(b.app, KEY_A).post(`/messages/${id}/cancel`))),
      a.scheduler.runOnce(),
    ]);
    const sentTokens = new Set(sims.apns.received.map((r) => r.token));
    cancels.forEach((answer, i) => {
      const sent = sentTokens.has(apnsToken(300 + i));
      expect([answer.status, answer.body.status, sent]).toEqual(answer.status === 200 ? [200, 'CANCELED', false] : [409, expect.stringMatching(/^(ENQUEUED|SENT)$/), true]);
    });
    expect(sims.apns.received).toHaveLength(sentTokens.size);
  });
});

describe('real service processes', () => {
  const KEY = 'sk_replica_test_key';
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  const services: ServiceProcess[] = [];
  const start = async () => {
    const service = await startServiceProcess({ API_KEYS: `ws_a:${KEY}`, MONGODB_URI: db.uri, SCHEDULER_INTERVAL: '200ms', ...simulatorEnv(sims) });
    services.push(service);
    return service;
  };
  const call = (service: ServiceProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${service.url}${path}`, { method, headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', ...headers }, ...(body ? { body: JSON.stringify(body) } : {}) });

  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    for (const service of services) if (service.child.exitCode === null) service.child.kill('SIGKILL');
    await db.close();
  });

  it('a delayed send survives a restart of the service', async () => {
    const first = await start();
    expect((await call(first, 'PUT', `/users/restart-user/tokens/${apnsToken(500)}`, { provider_key: 'apn' })).status).toBe(204);
    const answer = await call(first, 'POST', '/send', { message: { to: { user_id: 'restart-user' }, content: { title: 'After the restart' }, delay: { duration: 3_000 } } });
    expect(answer.status).toBe(202);
    const { requestId } = (await answer.json()) as { requestId: string };
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(sims.apns.received).toHaveLength(0);

    const second = await start();
    await waitFor(() => sims.apns.received.length > 0, 'the delayed send to reach APNs after the restart');
    expect(sims.apns.received.map((r) => r.token)).toEqual([apnsToken(500)]);
    const status = async () => ((await (await call(second, 'GET', `/messages/${requestId}`)).json()) as { status: string }).status;
    await waitFor(async () => (await status()) === 'SENT', 'the message to be SENT');
    second.child.kill('SIGTERM');
    await second.exited;
  }, 90_000);

  it('an Idempotency-Key holds across two processes: one sends, the other answers 409 while it runs, then the stored answer', async () => {
    const [one, two] = await Promise.all([start(), start()]);
    expect((await call(one, 'PUT', `/users/idem-user/tokens/${apnsToken(600)}`, { provider_key: 'apn' })).status).toBe(204);
    // Apple answers slowly, so the first request is still running when the second arrives.
    sims.apns.stage(apnsToken(600), { delayMs: 1_500, then: { status: 200 } });
    const body = { message: { to: { user_id: 'idem-user' }, content: { title: 'Once across replicas' } } };
    const headers = { 'Idempotency-Key': 'cross-replica-1' };
    const firstCall = call(one, 'POST', '/send', body, headers);
    // The first request holds the key once its push has reached APNs (which holds its answer).
    await waitFor(() => sims.apns.received.some((r) => r.token === apnsToken(600)), 'the first request to reach APNs');
    const during = await call(two, 'POST', '/send', body, headers);
    expect(during.status).toBe(409);
    const first = await firstCall;
    expect(first.status).toBe(200);
    const firstBody = await first.json();
    const replay = await call(two, 'POST', '/send', body, headers);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual(firstBody);
    expect((await call(one, 'POST', '/send', { message: { ...body.message, content: { title: 'Another' } } }, headers)).status).toBe(422);
    expect(sims.apns.received.filter((r) => r.token === apnsToken(600))).toHaveLength(1);
    for (const service of [one, two]) service.child.kill('SIGTERM');
    await Promise.all([one.exited, two.exited]);
  }, 90_000);
});
