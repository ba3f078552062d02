import https from 'node:https';
import request from 'supertest';
import { isBlockedAddressError } from '../../src/network/address-filter';
import { acquireTransport } from '../../src/providers/webpush-transport';
import { WebPushProvider } from '../../src/providers/webpush-provider';
import { generateVapidKeys } from '../../src/providers/webpush-vapid';
import { WebPushSimulator } from '../simulators/webpush-simulator';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

/**
 * How Web Push requests go out. It is an SSRF boundary: the sender POSTs to URLs clients chose.
 * Under the default settings an endpoint off the allowlist, or on a private or loopback
 * address, is refused at registration (webpush-registration.test.ts) and, if it is in the
 * database anyway (registered under other settings), is never contacted by a send; a name that
 * resolves to a private address is refused after DNS, at connection time. Connections to one
 * push service are bounded and kept alive.
 */
let sim: WebPushSimulator;
const vapid = { ...generateVapidKeys(), subject: 'mailto:ops@example.com' };
beforeAll(async () => {
  sim = await WebPushSimulator.start();
});
afterAll(async () => {
  await sim.close();
});

it('a subscription stored under permissive settings is never contacted by a service under the defaults', async () => {
  const permissive = { endpoints: { allowedHosts: ['127.0.0.1:*'], allowPrivate: true }, connectionsPerHost: 4, timeoutMs: 5_000 };
  const strictHosts = { ...permissive, endpoints: { allowedHosts: ['fcm.googleapis.com'], allowPrivate: false } };
  const allowedButPrivate = { ...permissive, endpoints: { allowedHosts: ['127.0.0.1:*'], allowPrivate: false } };
  const registering: TestApp = await createTestApp({ delivery: { webpush: permissive } });
  try {
    const s = sim.subscribe(vapid.publicKey);
    await request(registering.app).put(`/users/u/tokens/${encodeURIComponent(s.endpoint)}`).set(bearer(KEY_A)).send({ provider_key: 'webpush', keys: s.keys }).expect(204);
    for (const [delivery, reason] of [[strictHosts, 'webpush:endpoint_not_allowed'], [allowedButPrivate, 'webpush:endpoint_not_allowed']] as const) {
      const provider = new WebPushProvider({ vapid, delivery });
      const [result] = await provider.send({ title: 'T' }, [s.endpoint], { keysFor: () => s.keys });
      await provider.close();
      expect(result).toMatchObject({ outcome: 'rejected', reason });
      expect(result!.detail).not.toContain(s.endpoint);
    }
    expect(sim.counters.requests).toBe(0);
    // The same subscription, under the settings it was registered with, is delivered.
    const provider = new WebPushProvider({ vapid, delivery: permissive });
    expect((await provider.send({ title: 'T' }, [s.endpoint], { keysFor: () => s.keys }))[0]).toMatchObject({ outcome: 'delivered' });
    await provider.close();
    expect(sim.counters.requests).toBe(1);
  } finally {
    await registering.close();
  }
});

/** A DNS answer of 127.0.0.1 for any name (Node asks for all addresses when it may try several). */
function resolvesToLoopback(_host: string, options: { all?: boolean }, cb: (error: null, address: string | { address: string; family: number }[], family?: number) => void): void {
  if (options.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
}

it('the transport refuses a name that resolves to a loopback address, after DNS, without connecting', async () => {
  const transport = acquireTransport({ endpoints: { allowedHosts: ['push.test'], allowPrivate: false }, connectionsPerHost: 2 });
  const before = sim.counters.requests;
  try {
    const error = await new Promise<unknown>((resolve) => {
      const req = https.request(
        { host: 'push.test', port: new URL(sim.origin).port, path: '/push/x', method: 'POST', agent: transport.agent, lookup: resolvesToLoopback } as https.RequestOptions,
        () => resolve(undefined),
      );
      req.on('error', resolve);
      req.end();
    });
    expect(isBlockedAddressError(error)).toBe(true);
    expect(sim.counters.requests).toBe(before);
  } finally {
    transport.release();
  }
});

it('clients with the same settings share one agent, destroyed when the last one closes', async () => {
  const settings = { endpoints: { allowedHosts: ['x'], allowPrivate: false }, connectionsPerHost: 3 };
  const a = acquireTransport(settings);
  const b = acquireTransport(settings);
  expect(a.agent).toBe(b.agent);
  expect(a.agent.maxSockets).toBe(3);
  a.release();
  a.release();
  const c = acquireTransport(settings);
  expect(c.agent).toBe(b.agent);
  b.release();
  c.release();
  const fresh = acquireTransport(settings);
  expect(fresh.agent).not.toBe(b.agent);
  fresh.release();
});

it('a send to many subscriptions of one push service keeps at most WEBPUSH_CONNECTIONS_PER_HOST connections open, and reuses them', async () => {
  sim.reset();
  const delivery = { endpoints: { allowedHosts: ['127.0.0.1:*'], allowPrivate: true }, connectionsPerHost: 4, timeoutMs: 5_000 };
  const subscriptions = Array.from({ length: 60 }, () => sim.subscribe(vapid.publicKey));
  const keys = new Map(subscriptions.map((s) => [s.endpoint, s.keys]));
  const provider = new WebPushProvider({ vapid, delivery });
  try {
    for (let round = 0; round < 2; round++) {
      const results = await provider.send({ title: 'T' }, subscriptions.map((s) => s.endpoint), { keysFor: (endpoint) => keys.get(endpoint) });
      expect(results.every((r) => r.outcome === 'delivered')).toBe(true);
    }
  } finally {
    await provider.close();
  }
  expect(sim.counters.requests).toBe(120);
  expect(sim.counters.maxInFlight).toBeLessThanOrEqual(4);
  // Kept alive: the second round opened no connection of its own.
  expect(sim.counters.connections).toBeLessThanOrEqual(4);
  // One VAPID signature per origin, not per request: every request carried the same JWT.
  expect(new Set(sim.received.map((r) => r.claims.exp)).size).toBe(1);
});
