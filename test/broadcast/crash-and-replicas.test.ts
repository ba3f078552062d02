import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { openTestDatabase } from '../support/test-db';
import { simulatorEnv, startServiceProcess, type ServiceProcess } from '../support/service-process';
import { apnsToken } from '../support/tokens';
import { waitFor } from '../support/wait-for';

/**
 * A broadcast survives a replica's death (issue 30): two real service processes share one
 * broadcast to an audience; one is killed with SIGKILL while it is handing a chunk to APNs.
 * The other finishes after the lease. Every live token gets the message; the only second copies
 * are of the chunk the dead replica held, at most the chunk size, and the message reports them
 * as `possibly_duplicated`; every dead token is invalidated once, with one token.invalidated.
 */
const KEY = 'sk_broadcast_crash_key';
const CHUNK = 20;
const TOKENS = 200;
const DEAD = new Set([3, 27, 58, 91, 122, 150, 177, 199]);
let sims: SimulatedProviders;
let db: Awaited<ReturnType<typeof openTestDatabase>>;
const services: ServiceProcess[] = [];

beforeAll(async () => {
  sims = await startSimulatedProviders();
  db = await openTestDatabase();
});
afterAll(async () => {
  for (const service of services) if (service.child.exitCode === null) service.child.kill('SIGKILL');
  await sims.close();
  await db.close();
});

const start = async (env: Record<string, string> = {}) => {
  const service = await startServiceProcess({
    ...env,
    API_KEYS: `ws_a:${KEY}`,
    MONGODB_URI: db.uri,
    BROADCAST_CHUNK_SIZE: String(CHUNK),
    BROADCAST_CONCURRENCY: '1',
    BROADCAST_LEASE: '2s',
    BROADCAST_INTERVAL: '100ms',
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    ...simulatorEnv(sims),
  });
  services.push(service);
  return service;
};
const call = async (service: ServiceProcess, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${service.url}${path}`, { method, headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as Record<string, any>) };
};

it('SIGKILL one of two replicas mid-broadcast: the other finishes it, second copies stay within one chunk and are reported, dead tokens die once', async () => {
  // A logs each chunk it begins to hand over (debug), so the test can kill it in the middle of one.
  const [a, b] = [await start({ LOG_LEVEL: 'debug' }), await start()];
  for (let i = 0; i < TOKENS; i++) {
    expect((await call(a, 'PUT', `/users/crash-${i}/tokens/${apnsToken(2000 + i)}`, { provider_key: 'apn' })).status).toBe(204);
    // Apple answers slowly, so a replica spends its time handing chunks over; a dead token stays dead when sent again.
    sims.apns.stage(apnsToken(2000 + i), DEAD.has(i) ? [{ delayMs: 1_000, then: { status: 410, reason: 'Unregistered' } }, { status: 410, reason: 'Unregistered' }] : { delayMs: 1_000, then: { status: 200 } });
  }
  expect((await call(a, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/hooks', events: ['token.invalidated'] })).status).toBe(201);
  expect((await call(a, 'PUT', '/audiences/all-ios', { name: 'All iOS', filter: { filters: [{ operator: 'EQ', path: 'provider_key', value: 'apn' }] } })).status).toBe(200);

  const sent = await call(a, 'POST', '/send', { message: { to: { audience_id: 'all-ios' }, content: { title: 'Everyone' } } });
  expect(sent.status).toBe(202);
  const id = sent.body!.requestId as string;
  // A's second chunk has begun: its answers take a second, so the kill lands while A holds it.
  await waitFor(() => a.logs.filter((line) => line.includes('broadcast chunk dispatching')).length >= 2, 'replica A to begin its second chunk');
  a.child.kill('SIGKILL');
  await a.exited;

  let message: Record<string, any> = {};
  await waitFor(async () => {
    message = (await call(b, 'GET', `/messages/${id}`)).body!;
    return message.status === 'SENT';
  }, 'the surviving replica to finish the broadcast', { timeoutMs: 30_000 });

  const counts = new Map<string, number>();
  for (const { token } of sims.apns.received) counts.set(token, (counts.get(token) ?? 0) + 1);
  const missing = [...Array(TOKENS).keys()].filter((i) => !counts.has(apnsToken(2000 + i)));
  expect(missing).toEqual([]);
  const twice = [...counts.values()].filter((n) => n > 1).length;
  const { progress } = message;
  // Exactly the chunk A held when it died: dispatched again, and reported.
  expect(progress.possibly_duplicated).toBeGreaterThan(0);
  expect(progress.possibly_duplicated).toBeLessThanOrEqual(CHUNK);
  expect(twice).toBeLessThanOrEqual(progress.possibly_duplicated);
  expect(progress).toMatchObject({ running: false, total: TOKENS, delivered: TOKENS - DEAD.size, invalidated: DEAD.size });

  // Each dead token failed once, with one token.invalidated.
  for (const i of DEAD) expect((await call(b, 'GET', `/users/crash-${i}/tokens/${apnsToken(2000 + i)}`)).body).toMatchObject({ status: 'failed' });
  const events = await db.db.collection('webhook_deliveries').find({ type: 'token.invalidated' }).toArray();
  const perToken = new Map<string, number>();
  for (const e of events) {
    const token = (JSON.parse(e.payload as string) as { data: { token: string } }).data.token;
    perToken.set(token, (perToken.get(token) ?? 0) + 1);
  }
  expect([...perToken.keys()].sort()).toEqual([...DEAD].map((i) => apnsToken(2000 + i)).sort());
  expect(new Set(perToken.values())).toEqual(new Set([1]));
  b.child.kill('SIGTERM');
  await b.exited;
}, 120_000);
