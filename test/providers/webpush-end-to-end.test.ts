import request from 'supertest';
import { startAllProviders, type AllProviders } from '../support/all-providers';
import { bearer, KEY_A } from '../support/test-app';

/**
 * Web Push through POST /send, beside the other four providers, with an app's own VAPID
 * credential: the simulator verifies each request's VAPID JWT and decrypts its aes128gcm body
 * with the subscription's private key, so these tests read the exact JSON a service worker gets.
 */
let all: AllProviders;
beforeAll(async () => {
  all = await startAllProviders();
  // An endpoint for the events these tests read from the outbox (never delivered: the dispatcher is not started).
  await request(all.t.app).post('/webhooks').set(bearer(KEY_A)).send({ url: 'https://hooks.example.com/push', events: ['token.invalidated', 'delivery.held'] }).expect(201);
}, 60_000);
const outboxEvents = (type: string) => all.t.connection.db!.collection('webhook_deliveries').find({ type }).toArray();
afterAll(async () => {
  await all.close();
});
beforeEach(() => all.reset());

const send = async (message: object) => (await request(all.t.app).post('/send').set(bearer(KEY_A)).send({ message }).expect(200)).body;
const tokenDoc = (token: string) => all.t.model.findOne({ token }).lean().exec();

it('one POST /send reaches all five providers; the push service gets a VAPID-signed, encrypted JSON a service worker shows', async () => {
  await all.register('five');
  const subscription = await all.subscribe('five');
  const report = await send({
    to: { user_id: 'five' },
    content: { title: 'Order shipped', body: 'Arrives Tuesday' },
    data: { order: 42, path: '/orders/42' },
    push: { image: 'https://cdn.example.com/box.png', collapse_key: 'order-42', priority: 'high', ttl: 600 },
  });
  expect(report.summary).toEqual({ delivered: 5, invalidated: 0, failed: 0, skipped: 0 });
  expect(report.results.find((r: { provider_key: string }) => r.provider_key === 'webpush')).toEqual({ user_id: 'five', token: subscription.endpoint, provider_key: 'webpush', outcome: 'delivered', reason: null });

  const [received] = all.webpush.receivedBy(subscription.endpoint);
  expect(JSON.parse(received!.plaintext)).toEqual({ title: 'Order shipped', body: 'Arrives Tuesday', image: 'https://cdn.example.com/box.png', tag: 'order-42', data: { order: 42, path: '/orders/42' } });
  expect(received).toMatchObject({ ttl: 600, urgency: 'high', topic: 'order-42' });
  expect(received!.claims).toMatchObject({ aud: all.webpush.origin, sub: all.vapid.subject });
  expect(received!.claims.exp - Date.now() / 1000).toBeLessThanOrEqual(24 * 3600);
  expect(received!.bytes).toBe(Buffer.byteLength(received!.plaintext) + 103);
  expect(all.t.providerClients.counts().webpush).toBe(1);
});

it('a silent push is data only, low urgency; the webpush override merges into the JSON', async () => {
  const silent = await all.subscribe('silent');
  await send({ to: { user_id: 'silent' }, data: { sync: true }, push: { content_available: true } });
  expect(all.webpush.receivedBy(silent.endpoint)[0]).toMatchObject({ json: { data: { sync: true } }, urgency: 'low', ttl: 28 * 24 * 3600 });

  const rich = await all.subscribe('rich');
  await send({
    to: { user_id: 'rich' },
    content: { title: 'Reply?', body: 'Dinner at 8' },
    providers: { webpush: { override: { icon: 'https://cdn.example.com/i.png', actions: [{ action: 'yes', title: 'Yes' }], data: { extra: 1 } } } },
  });
  expect(all.webpush.receivedBy(rich.endpoint)[0]!.json).toEqual({ title: 'Reply?', body: 'Dinner at 8', icon: 'https://cdn.example.com/i.png', actions: [{ action: 'yes', title: 'Yes' }], data: { extra: 1 } });
});

it('every classification row, through the API: 410 and 404 fail the token once; 413, 400, 401 and 403 leave it; 429 and 5xx are retried', async () => {
  const rows: { answers: { status: number; retryAfter?: string }[]; outcome: string; reason: RegExp | null; status: string; attempts: number }[] = [
    { answers: [{ status: 201 }], outcome: 'delivered', reason: null, status: 'active', attempts: 1 },
    { answers: [{ status: 202 }], outcome: 'delivered', reason: null, status: 'active', attempts: 1 },
    { answers: [{ status: 410 }], outcome: 'invalid', reason: /^webpush:410$/, status: 'failed', attempts: 1 },
    { answers: [{ status: 404 }], outcome: 'invalid', reason: /^webpush:404$/, status: 'failed', attempts: 1 },
    { answers: [{ status: 413 }], outcome: 'rejected', reason: /^webpush:payload_too_large/, status: 'active', attempts: 1 },
    { answers: [{ status: 400 }], outcome: 'rejected', reason: /^webpush:400/, status: 'active', attempts: 1 },
    { answers: [{ status: 401 }], outcome: 'rejected', reason: /^webpush:401/, status: 'active', attempts: 1 },
    { answers: [{ status: 403 }], outcome: 'rejected', reason: /^webpush:403/, status: 'active', attempts: 1 },
    { answers: [{ status: 429, retryAfter: '0' }, { status: 201 }], outcome: 'delivered', reason: null, status: 'active', attempts: 2 },
    { answers: [{ status: 500 }, { status: 503 }, { status: 201 }], outcome: 'delivered', reason: null, status: 'active', attempts: 3 },
    { answers: [{ status: 500 }], outcome: 'retryable', reason: /^webpush:500$/, status: 'active', attempts: 3 },
  ];
  for (const [index, row] of rows.entries()) {
    const user = `row-${index}`;
    const { endpoint } = await all.subscribe(user);
    all.webpush.stage(endpoint, row.answers);
    const report = await send({ to: { user_id: user }, content: { title: 'T', body: 'B' } });
    const result = report.results[0];
    expect({ index, outcome: result.outcome }).toEqual({ index, outcome: row.outcome });
    if (row.reason) expect(result.reason).toMatch(row.reason);
    else expect(result.reason).toBeNull();
    expect(all.webpush.counters.attempts(endpoint)).toBe(row.attempts);
    const doc = await tokenDoc(endpoint);
    expect({ index, status: doc!.status }).toEqual({ index, status: row.status });
    if (row.status === 'failed') {
      expect(doc!.status_reason).toBe(result.reason);
      // Failed exactly once: the next send skips it, and the push service hears nothing more.
      const again = await send({ to: { user_id: user }, content: { title: 'T' } });
      expect(again.results).toEqual([]);
      expect(all.webpush.counters.attempts(endpoint)).toBe(1);
    }
  }
});

it('a subscription the user revoked answers 410: the token is failed once, with a token.invalidated event', async () => {
  const { endpoint } = await all.subscribe('revoked');
  all.webpush.unsubscribe(endpoint);
  const report = await send({ to: { user_id: 'revoked' }, content: { title: 'T' } });
  expect(report.summary).toMatchObject({ invalidated: 1 });
  const events = await outboxEvents('token.invalidated');
  expect(JSON.stringify(events)).toContain('webpush:410');
});

it('a 401 (or a 410) on every subscription of a large send is held: no token dies, and delivery.held says why', async () => {
  // delivery.held is sent once per credential and reason per 10 minutes: start this test's window afresh.
  await all.t.connection.db!.collection('webhook_throttle').deleteMany({});
  await all.t.connection.db!.collection('webhook_deliveries').deleteMany({});
  const endpoints: string[] = [];
  for (let i = 0; i < 24; i++) endpoints.push((await all.subscribe('mass')).endpoint);
  for (const endpoint of endpoints) all.webpush.stage(endpoint, { status: 401 });
  const refused = await send({ to: { user_id: 'mass' }, content: { title: 'T' } });
  expect(refused.results.every((r: { outcome: string; reason: string }) => r.outcome === 'rejected' && r.reason.startsWith('webpush:401'))).toBe(true);
  const held = await outboxEvents('delivery.held');
  expect(held.map((e) => JSON.parse(e.payload).data)).toContainEqual(expect.objectContaining({ provider_key: 'webpush', reason: 'webpush:401', count: 24 }));

  for (const endpoint of endpoints) all.webpush.stage(endpoint, { status: 410 });
  const gone = await send({ to: { user_id: 'mass' }, content: { title: 'T' } });
  expect(gone.summary).toMatchObject({ invalidated: 0 });
  expect(gone.results[0].reason).toMatch(/^webpush:410; held/);
  expect(await all.t.model.countDocuments({ user_id: 'mass', status: 'active' })).toBe(24);
});

it('a payload over 4096 bytes encrypted is rejected with both sizes, and only for web push', async () => {
  const tokens = await all.register('big');
  const { endpoint } = await all.subscribe('big');
  const report = await send({ to: { user_id: 'big' }, content: { title: 'T' }, providers: { webpush: { override: { data: { blob: 'x'.repeat(4000) } } } } });
  const web = report.results.find((r: { token: string }) => r.token === endpoint);
  expect(web).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^webpush:payload_too_large \(the payload is \d{4} bytes encrypted; push services take at most 4096\)$/) });
  expect(report.results.filter((r: { outcome: string }) => r.outcome === 'delivered')).toHaveLength(Object.keys(tokens).length);
  expect(all.webpush.counters.attempts(endpoint)).toBe(0);
});

it('a collapse_key that is no Web Push Topic is a 400 at /send naming the field', async () => {
  const bad = await request(all.t.app).post('/send').set(bearer(KEY_A)).send({ message: { to: { user_id: 'x' }, content: { title: 'T' }, push: { collapse_key: 'news:sports' } } }).expect(400);
  expect(JSON.stringify(bad.body)).toContain('message.push.collapse_key');
});
