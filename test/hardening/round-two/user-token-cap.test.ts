import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { EVICTED_FOR_BYTES, EVICTED_FOR_COUNT } from '../../../src/tokens/user-budget-plan';
import { startSimulatedProviders, type SimulatedProviders } from '../../support/simulated-providers';
import { bearer, createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../../support/test-app';
import { apiClient } from '../../support/api-client';

/**
 * Issue 18, finding 6: one user's tokens are bounded (MAX_TOKENS_PER_USER active, and
 * MAX_BYTES_PER_USER of them; retired ones bounded the same way), through both APIs and bulk
 * PUT, and the newest registration always works. So a send's fan-out is bounded by
 * recipients × the cap, and /healthz answers while the largest allowed send runs.
 */
const hex = (user: string, n: number) => `${Buffer.from(user).toString('hex')}${n.toString(16)}`.padEnd(64, '0');
let t: TestApp;
let userToken: string;
beforeAll(async () => {
  t = await createTestApp({ userLimits: { maxTokens: 5, maxBytes: 200 * 1024 } });
  userToken = (await request(t.app).post('/auth/issue-token').set(bearer(KEY_A)).send({ scope: 'user_id:many read:user-tokens write:user-tokens', expires_in: '1h' }).expect(200)).body.token;
});
afterAll(async () => {
  await t.close();
});
const list = async (user: string, status?: string) => (await apiClient(t.app, KEY_A).listTokens(user, `limit=100${status ? `&status=${status}` : ''}`).expect(200)).body.tokens as { token: string; status: string; status_reason: string | null }[];

it('A user token registering a 6th and 7th device retires the least recently updated, as revoked with the reason', async () => {
  for (let i = 0; i < 7; i++) await request(t.app).put(`/users/many/tokens/${hex('many', i)}`).set(bearer(userToken)).send({ provider_key: 'apn' }).expect(204);
  const active = await list('many', 'active');
  expect(active.map((tok) => tok.token)).toEqual([2, 3, 4, 5, 6].map((i) => hex('many', i)));
  const revoked = await list('many', 'revoked');
  expect(revoked.map((tok) => [tok.token, tok.status_reason])).toEqual([0, 1].map((i) => [hex('many', i), EVICTED_FOR_COUNT]));
});

it('Registering an old device again makes it the most recent: the next eviction takes another', async () => {
  await request(t.app).put(`/users/recent/tokens/${hex('recent', 0)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  for (let i = 1; i < 5; i++) await request(t.app).put(`/users/recent/tokens/${hex('recent', i)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  await request(t.app).put(`/users/recent/tokens/${hex('recent', 0)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  await request(t.app).put(`/users/recent/tokens/${hex('recent', 5)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  expect((await list('recent', 'revoked')).map((tok) => tok.token)).toEqual([hex('recent', 1)]);
});

it('The Flameup Devices API and bulk PUT keep the same bound, and a bulk write keeps all of its own tokens', async () => {
  for (let i = 0; i < 4; i++) await request(t.app).post('/api/v1/people/flame/devices').set(bearer(KEY_A)).send({ token: `flame-device-${i}`, platform: 'ios' }).expect(201);
  await request(t.app).put('/users/flame/tokens').set(bearer(KEY_A)).send({ tokens: [0, 1, 2].map((i) => ({ token: `flame-bulk-${i}`, provider_key: 'apn' })) }).expect(204);
  const active = await list('flame', 'active');
  expect(active).toHaveLength(5);
  expect(active.map((tok) => tok.token)).toEqual(expect.arrayContaining(['flame-bulk-0', 'flame-bulk-1', 'flame-bulk-2']));
  const devices = await request(t.app).get('/api/v1/people/flame/devices?is_active=true').set(bearer(KEY_A)).expect(200);
  expect(devices.body.total).toBe(5);
});

it('PATCHing a revoked token back to active retires another, not the patched one', async () => {
  const [first] = await list('many', 'revoked');
  await request(t.app).patch(`/users/many/tokens/${first!.token}`).set(bearer(KEY_A)).send({ patch: [{ op: 'replace', path: '/status', value: 'active' }] }).expect(204);
  const active = await list('many', 'active');
  expect(active).toHaveLength(5);
  expect(active.map((tok) => tok.token)).toContain(first!.token);
});

it('Large properties are bounded by bytes: 60 KB each, at most 200 KiB of active tokens', async () => {
  const properties = { blob: 'x'.repeat(60_000) };
  for (let i = 0; i < 5; i++) await request(t.app).put(`/users/heavy/tokens/${hex('heavy', i)}`).set(bearer(KEY_A)).send({ provider_key: 'apn', properties }).expect(204);
  const active = await list('heavy', 'active');
  expect(active.map((tok) => tok.token)).toEqual([2, 3, 4].map((i) => hex('heavy', i)));
  expect((await list('heavy', 'revoked')).every((tok) => tok.status_reason === EVICTED_FOR_BYTES)).toBe(true);
});

it('Retired tokens are bounded too: 40 registrations leave at most 5 active and 5 retired stored', async () => {
  for (let i = 0; i < 40; i++) await request(t.app).put(`/users/churn/tokens/${hex('churn', i)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  expect(await t.model.countDocuments({ workspace_id: 'ws_a', user_id: 'churn' })).toBe(10);
  expect((await list('churn', 'active')).map((tok) => tok.token)).toEqual([35, 36, 37, 38, 39].map((i) => hex('churn', i)));
});

describe('the largest send allowed', () => {
  const CAP = 20;
  const RECIPIENTS = 100;
  let sims: SimulatedProviders;
  let big: TestApp;
  beforeAll(async () => {
    sims = await startSimulatedProviders({ apnsMaxInFlight: 200 });
    big = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, userLimits: { maxTokens: CAP, maxBytes: 1024 * 1024 } });
    for (let u = 0; u < RECIPIENTS; u++) {
      // Five more than the cap each: they are retired, so the send can't reach them.
      const tokens = Array.from({ length: CAP + 5 }, (_, i) => ({ token: hex(`u${u}`, i), provider_key: 'apn' }));
      await request(big.app).put(`/users/u${u}/tokens`).set(bearer(KEY_A)).send({ tokens: tokens.slice(0, 5) }).expect(204);
      await request(big.app).put(`/users/u${u}/tokens`).set(bearer(KEY_A)).send({ tokens: tokens.slice(5) }).expect(204);
    }
  }, 120_000);
  afterAll(async () => {
    await big.close();
    await sims.close();
  });

  it('fans out to at most recipients × MAX_TOKENS_PER_USER, and /healthz answers while it runs', async () => {
    await new Promise<void>((resolve) => big.server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = big.server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;
    try {
      let done = false;
      const send = fetch(`${base}/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: { to: Array.from({ length: RECIPIENTS }, (_, u) => ({ user_id: `u${u}` })), content: { title: 'hi' } } }),
      }).then(async (res) => {
        done = true;
        return { status: res.status, body: (await res.json()) as { results: unknown[]; summary: { delivered: number } } };
      });
      const probes: number[] = [];
      let answeredDuringSend = 0;
      while (!done) {
        const status = (await fetch(`${base}/healthz`)).status;
        probes.push(status);
        if (!done) answeredDuringSend++;
      }
      const { status, body } = await send;
      expect(status).toBe(200);
      expect(body.results).toHaveLength(RECIPIENTS * CAP);
      expect(body.summary.delivered).toBe(RECIPIENTS * CAP);
      expect(new Set(probes)).toEqual(new Set([200]));
      expect(answeredDuringSend).toBeGreaterThan(0);
    } finally {
      await new Promise((resolve) => big.server.close(resolve));
    }
  }, 120_000);
});

describe('the per-user count that spares reading a user’s tokens', () => {
  it('counts tokens stored before it existed, once, at start-up', async () => {
    const { ensureUserTokenCounts, USER_TOKEN_COUNTS_COLLECTION } = await import('../../../src/tokens/user-token-counts');
    const app = await createTestApp({ userLimits: { maxTokens: 3, maxBytes: 200 * 1024 } });
    try {
      // Tokens written straight to the collection, as before the count existed, and no count for them.
      const now = new Date();
      await app.model.collection.insertMany(
        Array.from({ length: 6 }, (_, i) => ({ workspace_id: 'ws_a', user_id: 'legacy', token: hex('legacy', i), provider_key: 'apn', status: 'active', status_reason: null, properties: {}, created_at: now, updated_at: new Date(now.getTime() + i), last_used_at: null, revision: 1 })),
      );
      const counts = app.connection.db!.collection(USER_TOKEN_COUNTS_COLLECTION);
      await counts.deleteMany({});
      await ensureUserTokenCounts(app.connection.db!);
      expect(await counts.findOne({ workspace_id: 'ws_a', user_id: 'legacy' })).toMatchObject({ tokens: 6 });
      // The next registration sees the user is over the bound, and brings both the tokens and the count down.
      await request(app.app).put(`/users/legacy/tokens/${hex('legacy', 6)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
      expect(await app.model.countDocuments({ user_id: 'legacy', status: 'active' })).toBe(3);
      expect(await app.model.countDocuments({ user_id: 'legacy' })).toBe(6);
      expect(await counts.findOne({ workspace_id: 'ws_a', user_id: 'legacy' })).toMatchObject({ tokens: 6 });
      // Run again, it counts nothing twice.
      await ensureUserTokenCounts(app.connection.db!);
      expect(await counts.findOne({ workspace_id: 'ws_a', user_id: 'legacy' })).toMatchObject({ tokens: 6 });
    } finally {
      await app.close();
    }
  });

  it('stays an upper bound under concurrent registrations of one user, and the bound holds after them', async () => {
    const app = await createTestApp({ userLimits: { maxTokens: 4, maxBytes: 200 * 1024 } });
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => request(app.app).put(`/users/racer/tokens/${hex('racer', i)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204)));
      // One more, after the race, settles it: the bound holds however the racing checks interleaved.
      await request(app.app).put(`/users/racer/tokens/${hex('racer', 99)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
      expect(await app.model.countDocuments({ user_id: 'racer', status: 'active' })).toBeLessThanOrEqual(4);
      const stored = await app.model.countDocuments({ user_id: 'racer' });
      const count = await app.connection.db!.collection('user_token_counts').findOne({ workspace_id: 'ws_a', user_id: 'racer' });
      expect(count!.tokens).toBeGreaterThanOrEqual(stored);
    } finally {
      await app.close();
    }
  });
});

it('PUTting an evicted token again makes it active, and retires the least recently updated other one', async () => {
  for (let i = 0; i < 7; i++) await request(t.app).put(`/users/back/tokens/${hex('back', i)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  const [evicted] = await list('back', 'revoked');
  await request(t.app).put(`/users/back/tokens/${evicted!.token}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  const active = await list('back', 'active');
  expect(active).toHaveLength(5);
  expect(active.map((tok) => tok.token)).toContain(evicted!.token);
});

describe('what a registration adds to the counts', () => {
  const countOf = async (app: TestApp, user: string) => app.connection.db!.collection('user_token_counts').findOne({ workspace_id: 'ws_a', user_id: user });

  it('a device registering its token again adds nothing; a larger version adds only its growth; a new token adds one', async () => {
    const app = await createTestApp();
    try {
      const token = hex('again', 1);
      const put = (body: object) => request(app.app).put(`/users/again/tokens/${token}`).set(bearer(KEY_A)).send({ provider_key: 'apn', ...body }).expect(204);
      await put({ properties: { plan: 'pro' } });
      const first = await countOf(app, 'again');
      expect(first).toMatchObject({ tokens: 1 });
      await put({ properties: { plan: 'pro' } });
      await put({ properties: { plan: 'pro' } });
      expect(await countOf(app, 'again')).toMatchObject({ tokens: 1, bytes: first!.bytes });
      await put({ properties: { plan: 'pro', locale: 'en-GB' } });
      const grown = await countOf(app, 'again');
      expect(grown!.tokens).toBe(1);
      expect(grown!.bytes).toBeGreaterThan(first!.bytes);
      // Smaller again: nothing to write; the count stays where it was, still an upper bound.
      await put({ properties: {} });
      expect((await countOf(app, 'again'))!.bytes).toBe(grown!.bytes);
      await request(app.app).put(`/users/again/tokens/${hex('again', 2)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
      expect(await countOf(app, 'again')).toMatchObject({ tokens: 2 });
    } finally {
      await app.close();
    }
  });
});
