import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openTestDatabase } from '../support/test-db';
import { startServiceProcess, simulatorEnv, type ServiceProcess } from '../support/service-process';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { apnsToken } from '../support/tokens';
import { waitFor } from '../support/wait-for';

/**
 * Every effect of a send applied once, even across a crash (issues 21 and 28): the real
 * service process is killed with SIGKILL at injected points after dispatch (CRASH_POINT,
 * src/crash-points.ts): once its send result is written and before any effect, and once the
 * token writes are done and before the message log and webhooks. A new process on the same
 * database then applies what is left from the send result: exactly one token.invalidated per
 * token that became failed, none for the token that stayed active, the message finished once
 * with one TOKEN_INVALIDATED per dead token, and no push sent twice. And two processes share
 * the outbox without delivering anything twice.
 */
const KEY = 'sk_webhook_crash_key';
let sims: SimulatedProviders;
let receiver: http.Server;
let receiverUrl: string;
const received: { id: string; body: { type: string; data: Record<string, unknown> } }[] = [];
const processes: ServiceProcess[] = [];

beforeAll(async () => {
  sims = await startSimulatedProviders();
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ id: String(req.headers['webhook-id']), body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterEach(() => {
  received.length = 0;
  sims.apns.reset();
});
afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await new Promise((resolve) => receiver.close(resolve));
  await sims.close();
});

const start = async (uri: string, extra: Record<string, string> = {}) => {
  const service = await startServiceProcess({
    API_KEYS: `ws_a:${KEY}`, MONGODB_URI: uri, ...simulatorEnv(sims),
    WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_INTERVAL: '100ms', SEND_APPLY_GRACE: '1s', ...extra,
  });
  processes.push(service);
  return service;
};
const call = (service: ServiceProcess, method: string, path: string, body?: unknown) =>
  fetch(`${service.url}${path}`, { method, headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
const settle = async (expected: number, quietMs = 2_000) => {
  await waitFor(() => received.length >= expected, `${expected} webhook deliveries`);
  // Then a quiet spell: nothing more may arrive (a duplicate would come within it).
  await new Promise((resolve) => setTimeout(resolve, quietMs));
};

/** One user with three tokens, two of them dead; the send kills the process at `point`. */
async function sendAndCrash(uri: string, point: string): Promise<void> {
  const first = await start(uri, { CRASH_POINT: point });
  expect((await call(first, 'POST', '/webhooks', { url: receiverUrl, events: ['token.invalidated'] })).status).toBe(201);
  for (const n of [1, 2, 3]) expect((await call(first, 'PUT', `/users/crash-user/tokens/${apnsToken(n)}`, { provider_key: 'apn' })).status).toBe(204);
  sims.apns.stage(apnsToken(1), { status: 410, reason: 'Unregistered' });
  sims.apns.stage(apnsToken(2), { status: 410, reason: 'Unregistered' });
  await expect(call(first, 'POST', '/send', { message: { to: { user_id: 'crash-user' }, content: { title: 'x' } } })).rejects.toThrow();
  await first.exited;
  expect(first.child.signalCode).toBe('SIGKILL');
}

const statusOf = async (service: ServiceProcess, n: number) => ((await (await call(service, 'GET', `/users/crash-user/tokens/${apnsToken(n)}`)).json()) as { status: string }).status;

const messageOf = async (db: Awaited<ReturnType<typeof openTestDatabase>>) => {
  const messages = await db.db.collection('messages').find({ recipient: 'crash-user' }).toArray();
  expect(messages).toHaveLength(1);
  return messages[0]!;
};

for (const point of ['send:after-result', 'outcomes:after-tokens']) {
  it(`killed at ${point}: after a restart, every effect once (two tokens failed, one event each, the message finished once), and no push twice`, async () => {
    const db = await openTestDatabase();
    try {
      await sendAndCrash(db.uri, point);
      expect(sims.apns.received).toHaveLength(3);
      const second = await start(db.uri);
      await settle(2);
      expect(received.map((r) => r.body.data.token).sort()).toEqual([apnsToken(1), apnsToken(2)]);
      expect(new Set(received.map((r) => r.id)).size).toBe(2);
      expect([await statusOf(second, 1), await statusOf(second, 2), await statusOf(second, 3)]).toEqual(['failed', 'failed', 'active']);
      const message = await messageOf(db);
      expect(message.status).toBe('SENT');
      expect(message.history.filter((e: { type: string }) => e.type === 'TOKEN_INVALIDATED')).toHaveLength(2);
      expect(message.history.filter((e: { type: string }) => e.type === 'SENT')).toHaveLength(1);
      expect(await db.db.collection('send_results').countDocuments()).toBe(0);
      expect(sims.apns.received).toHaveLength(3);
      second.child.kill('SIGTERM');
      await second.exited;
    } finally {
      await db.close();
    }
  }, 90_000);
}

for (const [point, landed] of [['patch:after-result', false], ['patch:after-write', true]] as const) {
  it(`a PATCH to failed killed at ${point}: after a restart, ${landed ? 'exactly one event, for the token it failed' : 'the token active and no event'}`, async () => {
    const db = await openTestDatabase();
    try {
      const first = await start(db.uri, { CRASH_POINT: point });
      expect((await call(first, 'POST', '/webhooks', { url: receiverUrl, events: ['token.invalidated'] })).status).toBe(201);
      expect((await call(first, 'PUT', `/users/crash-user/tokens/${apnsToken(7)}`, { provider_key: 'apn' })).status).toBe(204);
      await expect(call(first, 'PATCH', `/users/crash-user/tokens/${apnsToken(7)}`, { patch: [{ op: 'replace', path: '/status', value: 'failed' }, { op: 'replace', path: '/status_reason', value: 'uninstalled' }] })).rejects.toThrow();
      await first.exited;
      expect(first.child.signalCode).toBe('SIGKILL');
      const second = await start(db.uri);
      await settle(landed ? 1 : 0, 3_000);
      expect(await statusOf(second, 7)).toBe(landed ? 'failed' : 'active');
      expect(received.map((r) => [r.body.type, r.body.data.token, r.body.data.reason])).toEqual(landed ? [['token.invalidated', apnsToken(7), 'uninstalled']] : []);
      expect(await db.db.collection('send_results').countDocuments()).toBe(0);
      second.child.kill('SIGTERM');
      await second.exited;
    } finally {
      await db.close();
    }
  }, 90_000);
}

it('two processes share the outbox: 40 events, each delivered once', async () => {
  const db = await openTestDatabase();
  try {
    const [one, two] = await Promise.all([start(db.uri), start(db.uri)]);
    const created = (await (await call(one, 'POST', '/webhooks', { url: receiverUrl, events: ['webhook.test'] })).json()) as { id: string };
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const answer = (await (await call(i % 2 ? one : two, 'POST', `/webhooks/${created.id}/test`)).json()) as { event_id: string };
      ids.add(answer.event_id);
    }
    await settle(40);
    expect(received).toHaveLength(40);
    expect(new Set(received.map((r) => r.id))).toEqual(ids);
    for (const p of [one, two]) p.child.kill('SIGTERM');
    await Promise.all([one.exited, two.exited]);
  } finally {
    await db.close();
  }
}, 90_000);
