import { createHash } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { isValidUserId } from '../../src/tokens/token-fields';
import { bearer, createTestApp, KEY_A, KEY_B, type TestApp } from '../support/test-app';

/**
 * Property-based tests with fast-check, about 200 runs a property, against the real app and
 * the real MongoDB wire server.
 */
const RUNS = 200;
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** A token of the registration's provider: Expo and OneSignal have formats of their own (tokens/token-formats.ts). */
function tokenFor(provider: string, base: string): string {
  if (provider === 'expo') return `ExponentPushToken[${base}]`;
  if (provider === 'onesignal') {
    const hex = createHash('md5').update(base).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  return base;
}

const tokenArb = fc.stringMatching(/^[A-Za-z0-9_:\-~+=]{1,80}$/).filter((s) => !/^\.+$/.test(s));
const text = fc.string({ maxLength: 20 });
const safeKey = fc.stringMatching(/^[a-z][a-z0-9_]{0,9}$/).filter((k) => !['constructor', 'prototype'].includes(k));
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(safeKey, tie('value'), { maxKeys: 3 })),
})).value;
const registration = fc.record(
  {
    provider_key: fc.constantFrom('apn', 'firebase-fcm', 'expo', 'onesignal'),
    properties: fc.dictionary(safeKey, jsonValue, { maxKeys: 4 }),
    device: fc.record({ app_id: text, device_id: text, platform: fc.constantFrom('ios', 'android', 'web'), model: text, name: text }, { requiredKeys: [] }),
    tracking: fc.record({ os_version: text, ip: text, lat: text, long: text }, { requiredKeys: [] }),
    expiry_date: fc.oneof(fc.constant(false), fc.date({ min: new Date('2031-01-01'), max: new Date('2099-01-01'), noInvalidDate: true }).map((d) => d.toISOString())),
  },
  { requiredKeys: ['provider_key'] },
);

it('Random valid and invalid bodies and paths never produce a 5xx', async () => {
  const method = fc.constantFrom('get', 'put', 'patch', 'delete', 'post');
  const path = fc.oneof(
    fc.tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 60 })).map(([u, tok]) => `/users/${encodeURIComponent(u)}/tokens/${encodeURIComponent(tok)}`),
    fc.string({ maxLength: 30 }).map((u) => `/users/${encodeURIComponent(u)}/tokens`),
    fc.string({ maxLength: 30 }).map((p) => `/api/v1/people/${encodeURIComponent(p)}/devices`),
    fc.constantFrom('/send', '/users//tokens', '/users/%ZZ/tokens/x', '/api/v1/people/p/devices/%E0%A4%A'),
    fc.webPath(),
  );
  const body = fc.oneof(fc.anything(), registration, fc.record({ patch: fc.array(fc.record({ op: fc.string(), path: fc.string(), value: fc.anything() })) }));
  await fc.assert(
    fc.asyncProperty(method, path, body, fc.webQueryParameters(), async (m, p, b, q) => {
      let req = request(t.app)[m](`${p}${q ? `?${q}` : ''}`).set(bearer(KEY_A));
      if (m !== 'get' && m !== 'delete') req = req.set('Content-Type', 'application/json').send(JSON.stringify(b) ?? 'null');
      const res = await req;
      return res.status < 500;
    }),
    { numRuns: RUNS },
  );
}, 120_000);

it('A GET after a PUT returns what was written', async () => {
  await fc.assert(
    // Valid ids by the service's own rule (no controls or invisible characters, not blank), so the generator follows the rule as it changes.
    fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }).filter(isValidUserId), tokenArb, registration, async (user, base, body) => {
      const token = tokenFor(body.provider_key, base);
      const path = `/users/${encodeURIComponent(user)}/tokens/${encodeURIComponent(token)}`;
      const put = await request(t.app).put(path).set(bearer(KEY_A)).send(body);
      if (put.status !== 204) throw new Error(`PUT answered ${put.status}: ${JSON.stringify(put.body)}`);
      const got = (await request(t.app).get(path).set(bearer(KEY_A)).expect(200)).body;
      expect(got).toMatchObject({
        user_id: user,
        token,
        provider_key: body.provider_key,
        status: 'active',
        status_reason: null,
        properties: body.properties ?? {},
        device: body.device ?? null,
        tracking: body.tracking ?? null,
      });
      if (body.expiry_date !== undefined) expect(got.expiry_date).toBe(body.expiry_date);
    }),
    { numRuns: RUNS },
  );
}, 120_000);

it('Another workspace’s tokens are always a 404, for every verb', async () => {
  await fc.assert(
    fc.asyncProperty(fc.stringMatching(/^[a-z0-9-]{1,20}$/), tokenArb, registration, async (user, base, body) => {
      const token = tokenFor(body.provider_key, base);
      const path = `/users/${user}/tokens/${encodeURIComponent(token)}`;
      await request(t.app).put(path).set(bearer(KEY_A)).send(body).expect(204);
      await request(t.app).get(path).set(bearer(KEY_B)).expect(404);
      await request(t.app).patch(path).set(bearer(KEY_B)).send({ patch: [{ op: 'replace', path: '/status', value: 'revoked' }] }).expect(404);
      await request(t.app).delete(path).set(bearer(KEY_B)).expect(404);
      const list = await request(t.app).get(`/users/${user}/tokens`).set(bearer(KEY_B)).expect(200);
      expect(list.body.tokens.some((x: { token: string }) => x.token === token)).toBe(false);
      const devices = await request(t.app).get(`/api/v1/people/${user}/devices`).set(bearer(KEY_B)).expect(200);
      expect(devices.body.devices.some((x: { device_token: string }) => x.device_token === token)).toBe(false);
      await request(t.app).delete(`/api/v1/people/${user}/devices/${encodeURIComponent(token)}`).set(bearer(KEY_B)).expect(404);
      expect((await request(t.app).get(path).set(bearer(KEY_A)).expect(200)).body.status).toBe('active');
    }),
    { numRuns: RUNS },
  );
}, 120_000);

type Op = { kind: 'put'; n: number } | { kind: 'patch'; n: number } | { kind: 'delete' };
type State = { properties: Record<string, unknown> } | null;

/** The state one operation leaves, applied serially: the model the concurrent result must match. */
function applySerially(state: State, op: Op): State {
  if (op.kind === 'put') return { properties: { put: op.n } };
  if (op.kind === 'delete') return null;
  return state ? { properties: { ...state.properties, [`p${op.n}`]: true } } : null;
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

it('Concurrent PUT, PATCH and DELETE on one token leave a state that some serial order would produce', async () => {
  let round = 0;
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.integer({ min: 1, max: 1000 }).map((n): Op => ({ kind: 'put', n })),
    fc.integer({ min: 1, max: 1000 }).map((n): Op => ({ kind: 'patch', n })),
    fc.constant<Op>({ kind: 'delete' }),
  );
  await fc.assert(
    fc.asyncProperty(fc.boolean(), fc.array(op, { minLength: 2, maxLength: 4 }), async (existsBefore, ops) => {
      const path = `/users/race/tokens/race-${round++}`;
      let initial: State = null;
      if (existsBefore) {
        await request(t.app).put(path).set(bearer(KEY_A)).send({ provider_key: 'apn', properties: { put: 0 } }).expect(204);
        initial = { properties: { put: 0 } };
      }
      const responses = await Promise.all(
        ops.map((o) =>
          o.kind === 'put'
            ? request(t.app).put(path).set(bearer(KEY_A)).send({ provider_key: 'apn', properties: { put: o.n } })
            : o.kind === 'patch'
              ? request(t.app).patch(path).set(bearer(KEY_A)).send({ patch: [{ op: 'add', path: `/properties/p${o.n}`, value: true }] })
              : request(t.app).delete(path).set(bearer(KEY_A)),
        ),
      );
      expect(responses.every((r) => r.status < 500)).toBe(true);
      const got = await request(t.app).get(path).set(bearer(KEY_A));
      const observed: State = got.status === 404 ? null : { properties: got.body.properties };
      // Only operations that took effect (2xx) belong in the serial order; a 404 PATCH/DELETE found no token.
      const effective = ops.filter((_, i) => responses[i]!.status < 300);
      const possible = permutations(effective).map((order) => order.reduce(applySerially, initial));
      expect(possible).toContainEqual(observed);
      expect(await t.model.countDocuments({ token: path.split('/').pop() })).toBe(observed ? 1 : 0);
    }),
    { numRuns: RUNS },
  );
}, 180_000);
