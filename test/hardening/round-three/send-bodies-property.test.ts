import fc from 'fast-check';
import request from 'supertest';
import { bearer, createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../../support/test-app';
import { startSimulatedProviders, type SimulatedProviders } from '../../support/simulated-providers';
import { apnsToken } from '../../support/tokens';

/**
 * Round three, finding 6: `POST /send` answered 500 on override keys that are members of
 * Object.prototype (toString, constructor, valueOf, __proto__) and on ~9,000 levels of nesting.
 * Property: random /send bodies, written as JSON text so that prototype keys arrive as the
 * parser makes them, with deep nesting and huge numbers, sent to real tokens through the
 * simulators, get a 2xx or a 4xx, never a 5xx, and never change Object.prototype.
 */
let sims: SimulatedProviders;
let t: TestApp;
const USER = 'send-property-user';
const FCM_TOKEN = 'fcm-send-property-token';

beforeAll(async () => {
  sims = await startSimulatedProviders();
  t = await createTestApp({ providers: sims.providers, retry: FAST_RETRY });
  await request(t.app).put(`/users/${USER}/tokens/${apnsToken(77)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  await request(t.app).put(`/users/${USER}/tokens/${FCM_TOKEN}`).set(bearer(KEY_A)).send({ provider_key: 'firebase-fcm' }).expect(204);
});
afterAll(async () => {
  await t.close();
  await sims.close();
});

const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'data', 'android', 'notification', 'apns', 'headers', 'payload', 'aps', 'alert', 'body', 'title', 'ttl', 'priority', '$where', 'a.b', 'x'];
const key = fc.constantFrom(...KEYS).map((k) => JSON.stringify(k));
const scalar = fc.oneof(
  fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('1e308', '-1e308', '123456789012345678901234567890', '9007199254740993', '0', '-0', '1.5', 'true', 'false', 'null'),
);
/** JSON text: objects whose keys include the prototype's own members, arrays, scalars. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => `{${entries.map(([k, v]) => `${k}:${v}`).join(',')}}`),
  ),
})).value;
/** An object nested `depth` levels under `key`: `{"k":{"k":…{}…}}`. */
const deep = fc.tuple(fc.integer({ min: 15, max: 1_500 }), key).map(([depth, k]) => `${`{${k}:`.repeat(depth)}{}${'}'.repeat(depth)}`);
const stringMap = fc.array(fc.tuple(key, fc.string({ maxLength: 8 })), { maxLength: 3 }).map((entries) => `{${entries.map(([k, v]) => `${k}:${JSON.stringify(v)}`).join(',')}}`);
const anyObject = fc.oneof(jsonText.filter((s) => s.startsWith('{')), deep);
/** Mostly the shapes each field takes (so many sends go out, through the merge and the renames), sometimes anything. */
const objectText = fc.oneof(anyObject, stringMap);
const fcmOverride = fc.oneof(anyObject, stringMap.map((m) => `{"data":${m}}`), jsonText.map((v) => `{"android":{"notification":{"title":"t","toString":${v}}}}`), anyObject.map((o) => `{"apns":{"payload":{"aps":${o}}}}`));
const apnOverride = fc.oneof(anyObject, anyObject.map((o) => `{"body":${o}}`), stringMap.map((m) => `{"body":{"aps":{"alert":${m}}}}`));
const delay = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('9007199254740991', '1e308', '-1', '0', '31622400001', '60000').map((n) => `{"duration":${n}}`),
  fc.constantFrom('"+275760-09-13T00:00:00.000Z"', '"9999-12-31T23:59:59Z"', '"1970-01-01T00:00:00Z"').map((u) => `{"until":${u}}`),
);

function sendBody(parts: { data?: string; fcm?: string; apn?: string; expo?: string; webpush?: string; delay?: string; to: string }): string {
  const providers = Object.entries({ 'firebase-fcm': parts.fcm, apn: parts.apn, expo: parts.expo, webpush: parts.webpush })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}:{"override":${v}}`);
  const fields = [`"to":${parts.to}`, '"content":{"title":"Hi"}', ...(parts.data ? [`"data":${parts.data}`] : []), ...(providers.length ? [`"providers":{${providers.join(',')}}`] : []), ...(parts.delay ? [`"delay":${parts.delay}`] : [])];
  return `{"message":{${fields.join(',')}}}`;
}

const prototypeIntact = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

it('random /send bodies (prototype keys, deep nesting, huge numbers, any delay) answer 2xx or 4xx, never 5xx, and leave Object.prototype alone', async () => {
  const before = prototypeIntact();
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(
      // One or two odd parts a body: with all of them at once nearly every body would be a 400, and the send paths would never run.
      fc.tuple(
        fc.constantFrom(`{"user_id":"${USER}"}`, `[{"user_id":"${USER}"},{"token":"${FCM_TOKEN}"}]`),
        fc.oneof(
          objectText.map((data) => ({ data })),
          fcmOverride.map((fcm) => ({ fcm })),
          apnOverride.map((apn) => ({ apn })),
          objectText.map((expo) => ({ expo })),
          objectText.map((webpush) => ({ webpush })),
          delay.map((d) => ({ delay: d })),
          fc.tuple(fcmOverride, apnOverride).map(([fcm, apn]) => ({ fcm, apn })),
        ),
      ).map(([to, part]) => ({ to, ...part })),
      async (parts) => {
        const res = await request(t.app).post('/send').set(bearer(KEY_A)).set('Content-Type', 'application/json').send(sendBody(parts));
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status).toBeLessThan(500);
        expect(prototypeIntact()).toBe(before);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      },
    ),
    { numRuns: 150 },
  );
  process.stdout.write(`/send property: statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`);
  // Some bodies got through to the providers, so the overrides' code paths ran.
  expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
}, 180_000);

it.each(([
  ['providers.firebase-fcm.override.data.toString', '{"message":{"to":{"user_id":"' + USER + '"},"providers":{"firebase-fcm":{"override":{"data":{"toString":"x"}}}}}}', 200],
  ['providers.firebase-fcm.override.android.constructor', '{"message":{"to":{"user_id":"' + USER + '"},"providers":{"firebase-fcm":{"override":{"android":{"constructor":{}}}}}}}', 400],
  ['providers.firebase-fcm.override.data.__proto__', '{"message":{"to":{"user_id":"' + USER + '"},"providers":{"firebase-fcm":{"override":{"data":{"__proto__":{"polluted":"yes"}}}}}}}', 400],
  ['providers.firebase-fcm.override.valueOf', '{"message":{"to":{"user_id":"' + USER + '"},"providers":{"firebase-fcm":{"override":{"valueOf":1}}}}}', 400],
  ['data 9,000 deep', `{"message":{"to":{"user_id":"${USER}"},"data":{"a":${'{"a":'.repeat(9_000)}1${'}'.repeat(9_000)}}}}`, 400],
  ['delay.duration 2^53-1', `{"message":{"to":{"user_id":"${USER}"},"delay":{"duration":9007199254740991}}}`, 400],
  ['delay.until past the year 9999', `{"message":{"to":{"user_id":"${USER}"},"delay":{"until":"+275760-09-13T00:00:00.000Z"}}}`, 400],
  ['a delayed send whose data has $ and . in its keys (stored until due)', `{"message":{"to":{"user_id":"${USER}"},"data":{"$where":"x","a.b":{"$gt":1}},"delay":{"duration":60000}}}`, 202],
] as [string, string, number][]).map(([name, body, status]) => ({ name, body, status })))('the review’s case $name answers $status, never 500', async ({ body, status }) => {
  const res = await request(t.app).post('/send').set(bearer(KEY_A)).set('Content-Type', 'application/json').send(body);
  expect(res.status).toBe(status);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
