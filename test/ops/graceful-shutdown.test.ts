import { openTestDatabase } from '../support/test-db';
import { startServiceProcess, simulatorEnv, type ServiceProcess } from '../support/service-process';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';

/**
 * SIGTERM to the real service process while 200 requests are in flight (each a POST /send that
 * the APNs simulator answers slowly): every request completes, new connections are refused,
 * provider connections close, and the process exits 0.
 */
const KEY = 'sk_shutdown_test_key';
const IN_FLIGHT = 200;
let sims: SimulatedProviders;
let service: ServiceProcess;
let closeDb: () => Promise<void>;

beforeAll(async () => {
  sims = await startSimulatedProviders();
  const db = await openTestDatabase();
  closeDb = db.close;
  service = await startServiceProcess({ API_KEYS: `ws_a:${KEY}`, MONGODB_URI: db.uri, SHUTDOWN_TIMEOUT: '20s', ...simulatorEnv(sims) });
}, 90_000);
afterAll(async () => {
  if (service.child.exitCode === null) service.child.kill('SIGKILL');
  await closeDb();
  await sims.close();
});

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${service.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

it('When SIGTERM arrives with 200 requests in flight, then all of them complete and the process exits 0', async () => {
  const token = (i: number) => (i + 1).toString(16).padStart(64, '0');
  for (let i = 0; i < IN_FLIGHT; i += 100) {
    const tokens = Array.from({ length: 100 }, (_, j) => ({ token: token(i + j), provider_key: 'apn' }));
    expect((await call('PUT', '/users/bulk-owner/tokens', { tokens })).status).toBe(204);
  }
  // Each user gets one token, so each request is its own send.
  for (let i = 0; i < IN_FLIGHT; i++) {
    expect((await call('PUT', `/users/user-${i}/tokens/${token(i)}`, { provider_key: 'apn' })).status).toBe(204);
    sims.apns.stage(token(i), { delayMs: 2_000, then: { status: 200 } });
  }

  const requests = Array.from({ length: IN_FLIGHT }, (_, i) =>
    call('POST', '/send', { message: { to: { user_id: `user-${i}` }, content: { title: 'bye' } } }).then(async (res) => ({ status: res.status, connection: res.headers.get('connection'), body: (await res.json()) as { summary: { delivered: number } } })),
  );
  // Wait until every request has reached the simulator: the service is then mid-request on all 200.
  for (let i = 0; i < 500 && sims.apns.counters.inFlight < IN_FLIGHT; i++) await new Promise((r) => setTimeout(r, 10));
  expect(sims.apns.counters.inFlight).toBe(IN_FLIGHT);
  service.child.kill('SIGTERM');

  const results = await Promise.all(requests);
  expect(results.filter((r) => r.status !== 200)).toEqual([]);
  expect(results.every((r) => r.body.summary.delivered === 1)).toBe(true);
  // Issue 18: in flight when draining began, each answer still says it closes its connection.
  expect(results.filter((r) => r.connection !== 'close')).toEqual([]);
  expect(await service.exited).toBe(0);
  await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
  await new Promise((r) => setTimeout(r, 100));
  expect(sims.apns.counters.openSessions).toBe(0);
  expect(service.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
}, 90_000);
