import request from 'supertest';
import { createTestApp, FAST_RETRY, KEY_A, KEY_B, TEST_API_KEYS, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { apnsToken } from '../support/tokens';

/**
 * The message log through the API (issue 19): every POST /send leaves one message per
 * recipient, sent through the real SDKs to the simulators; GET /messages, /messages/:id and
 * its history read it; a device's tracking post moves it forward.
 */
const SEND_ONLY = 'sk_test_send_only_1';
const NO_MESSAGES = 'sk_test_no_messages';
const READER = 'sk_test_messages_reader';
let sims: SimulatedProviders;
let t: TestApp;
const fcmToken = (n: number) => `fcm${n}:APA91b-${'Q'.repeat(16)}_${n}`;
const ONESIGNAL = '7a4c2c1e-1b2f-4c8e-9f1a-0123456789ab';
const api = () => apiClient(t.app, KEY_A);
const put = (user: string, token: string, provider_key: string, body: object = {}) => api().putToken(user, token, { provider_key, ...body }).expect(204);
const message = async (id: string, key = KEY_A) => (await apiClient(t.app, key).get(`/messages/${id}`).expect(200)).body;
const history = async (id: string, query = '') => (await api().get(`/messages/${id}/history${query}`).expect(200)).body.results as { type: string; ts: number; [k: string]: unknown }[];

beforeAll(async () => {
  sims = await startSimulatedProviders();
  t = await createTestApp({
    providers: sims.providers,
    retry: FAST_RETRY,
    apiKeys: `${TEST_API_KEYS},ws_a:${SEND_ONLY}=send,ws_a:${NO_MESSAGES}=send+tokens:read,ws_a:${READER}=messages:read`,
    messages: { publicUrl: new URL('https://push.example.com/base') },
  });
});
afterEach(() => {
  sims.apns.reset();
  sims.fcm.reset();
});
afterAll(async () => {
  await sims.close();
  await t.close();
});

describe('status and reason of each send, in Courier’s vocabulary', () => {
  it('SENT: a provider accepted a token; the record has providers, tokens with their provider ids, and history', async () => {
    await put('sent-user', apnsToken(1), 'apn', { device: { app_id: 'com.example.app' } });
    await put('sent-user', fcmToken(1), 'firebase-fcm');
    const report = await api().sendTo({ user_id: 'sent-user' });
    const record = await message(report.requestId);
    expect(record).toMatchObject({ id: report.requestId, status: 'SENT', recipient: 'sent-user', event: '', notification: '', error: null, reason: null });
    expect(record.sent).toBeGreaterThanOrEqual(record.enqueued);
    expect(record).not.toHaveProperty('delivered');
    expect(record.providers).toEqual(
      expect.arrayContaining([
        { provider: 'apn', delivered: 1, invalid: 0, rejected: 0, retryable: 0 },
        { provider: 'firebase-fcm', delivered: 1, invalid: 0, rejected: 0, retryable: 0 },
      ]),
    );
    const apns = record.tokens.find((e: { provider_key: string }) => e.provider_key === 'apn');
    expect(apns).toMatchObject({ token: apnsToken(1), outcome: 'delivered', reason: null, attempts: 1, app_id: 'com.example.app' });
    expect(apns.provider_id).toBe(sims.apns.received[0]!.headers['apns-id'] ?? apns.provider_id);
    expect(apns.provider_id).toMatch(/^[0-9a-f-]{36}$/i);
    expect(record.tokens.find((e: { provider_key: string }) => e.provider_key === 'firebase-fcm').provider_id).toMatch(/^projects\/.+\/messages\/\d+$/);
    const events = await history(report.requestId);
    expect(events.map((e) => e.type)).toEqual(['ENQUEUED', 'SENT', 'SENT']);
    expect(events.filter((e) => e.type === 'SENT').map((e) => e.integration)).toEqual(expect.arrayContaining([{ provider: 'apn' }, { provider: 'firebase-fcm' }]));
    expect(await history(report.requestId, '?type=SENT')).toHaveLength(2);
    // Kept MESSAGE_RETENTION (30 days by default), by the TTL index on expires_at.
    const stored = await t.messageStore.collection.findOne({ _id: report.requestId });
    expect(stored!.expires_at.getTime() - stored!.enqueued.getTime()).toBe(30 * 86_400_000);
    const indexes = await t.messageStore.collection.indexes();
    expect(indexes.find((index) => index.name === 'expires_at_ttl')).toMatchObject({ key: { expires_at: 1 }, expireAfterSeconds: 0 });
  });

  it('UNDELIVERABLE/BOUNCED: every token dead; the history has TOKEN_INVALIDATED with the reason', async () => {
    await put('bounced-user', apnsToken(2), 'apn');
    sims.apns.stage(apnsToken(2), { status: 410, reason: 'Unregistered' });
    const report = await api().sendTo({ user_id: 'bounced-user' });
    expect(await message(report.requestId)).toMatchObject({ status: 'UNDELIVERABLE', reason: 'BOUNCED', error: 'apns:Unregistered' });
    const [invalidated] = await history(report.requestId, '?type=TOKEN_INVALIDATED');
    expect(invalidated).toMatchObject({ type: 'TOKEN_INVALIDATED', provider_key: 'apn', token: apnsToken(2), reason: 'apns:Unregistered' });
    expect((await history(report.requestId)).map((e) => e.type)).toEqual(['ENQUEUED', 'UNDELIVERABLE', 'TOKEN_INVALIDATED']);
  });

  it('UNDELIVERABLE/PROVIDER_ERROR, not BOUNCED, when the mass-invalidation guard held the dead answers', async () => {
    const tokens = Array.from({ length: 20 }, (_, i) => apnsToken(700 + i));
    for (const token of tokens) {
      await put('held-user', token, 'apn');
      // BadDeviceToken for every token at once is what sandbox tokens sent to production look like: the guard holds it.
      sims.apns.stage(token, { status: 400, reason: 'BadDeviceToken' });
    }
    const report = await api().sendTo({ user_id: 'held-user' });
    expect(report.summary).toMatchObject({ invalidated: 0 });
    expect(await message(report.requestId)).toMatchObject({ status: 'UNDELIVERABLE', reason: 'PROVIDER_ERROR' });
    expect(await history(report.requestId, '?type=TOKEN_INVALIDATED')).toEqual([]);
  });

  it('UNDELIVERABLE/PROVIDER_ERROR: tokens existed, none accepted, not all dead', async () => {
    await put('refused-user', apnsToken(3), 'apn');
    sims.apns.stage(apnsToken(3), { status: 400, reason: 'BadTopic' });
    const report = await api().sendTo({ user_id: 'refused-user' });
    expect(await message(report.requestId)).toMatchObject({ status: 'UNDELIVERABLE', reason: 'PROVIDER_ERROR', error: 'apns:BadTopic' });
  });

  it('UNDELIVERABLE/PROVIDER_ERROR: still failing after every retry, with the attempts counted', async () => {
    await put('flaky-user', apnsToken(4), 'apn');
    sims.apns.stage(apnsToken(4), { status: 503, reason: 'ServiceUnavailable' });
    const report = await api().sendTo({ user_id: 'flaky-user' });
    const record = await message(report.requestId);
    expect(record).toMatchObject({ status: 'UNDELIVERABLE', reason: 'PROVIDER_ERROR' });
    expect(record.tokens[0]).toMatchObject({ outcome: 'retryable', attempts: 3, provider_id: null });
  });

  it('UNROUTABLE/NO_CHANNELS: the recipient has no sendable token', async () => {
    const report = await api().sendTo({ user_id: 'nobody' });
    expect(await message(report.requestId)).toMatchObject({ status: 'UNROUTABLE', reason: 'NO_CHANNELS' });
    const named = await api().sendTo({ token: apnsToken(999) });
    expect(await message(named.requestId)).toMatchObject({ status: 'UNROUTABLE', reason: 'NO_CHANNELS', recipient: `****${apnsToken(999).slice(-4)}` });
  });

  it('UNROUTABLE/NO_PROVIDERS: tokens exist, but no credential or adapter serves them', async () => {
    await put('onesignal-user', ONESIGNAL, 'onesignal');
    const report = await api().sendTo({ user_id: 'onesignal-user' });
    expect(await message(report.requestId)).toMatchObject({ status: 'UNROUTABLE', reason: 'NO_PROVIDERS', error: 'no credentials for app (none)' });
    expect((await history(report.requestId)).map((e) => e.type)).toEqual(['ENQUEUED', 'UNROUTABLE']);
  });
});

describe('several recipients', () => {
  it('one message each, with its own id, listed by the requestId', async () => {
    await put('multi-1', apnsToken(10), 'apn');
    await put('multi-2', fcmToken(10), 'firebase-fcm');
    const report = await api().sendTo([{ user_id: 'multi-1' }, { user_id: 'multi-2' }, { token: apnsToken(10) }, { user_id: 'multi-none' }]);
    await api().get(`/messages/${report.requestId}`).expect(404);
    const listed = (await api().get(`/messages?messageId=${report.requestId}&limit=100`).expect(200)).body;
    expect(listed.results).toHaveLength(4);
    expect(new Set(listed.results.map((m: { id: string }) => m.id)).size).toBe(4);
    const byRecipient = Object.fromEntries(listed.results.map((m: { recipient: string; status: string }) => [m.recipient, m.status]));
    expect(byRecipient).toEqual({ 'multi-1': 'SENT', 'multi-2': 'SENT', [`****${apnsToken(10).slice(-4)}`]: 'SENT', 'multi-none': 'UNROUTABLE' });
    // The token named twice (as multi-1's, and by itself) went out once.
    expect(sims.apns.received.filter((r) => r.token === apnsToken(10))).toHaveLength(1);
  });
});

describe('tracking (Courier’s trackingUrl)', () => {
  const trackingUrlOf = (token: string) => ((sims.apns.received.find((r) => r.token === token)!.payload as { trackingUrl?: string }).trackingUrl);
  const post = (url: string, body: object) => request(t.app).post(new URL(url).pathname.replace(/^\/base/, '')).set('Origin', 'https://anywhere.example').send(body);

  it('every push carries its own trackingUrl under PUBLIC_URL; posts move the message forward once', async () => {
    await put('tracked', apnsToken(20), 'apn');
    await put('tracked', apnsToken(21), 'apn');
    const report = await api().sendTo({ user_id: 'tracked' });
    const [first, second] = [trackingUrlOf(apnsToken(20))!, trackingUrlOf(apnsToken(21))!];
    expect(first).toMatch(new RegExp(`^https://push\\.example\\.com/base/t/${report.requestId}\\.[0-9a-f]{24}\\.[A-Za-z0-9_-]{22}$`));
    expect(second).not.toBe(first);

    const delivered = await post(first, { event: 'DELIVERED' }).expect(204);
    expect(delivered.headers['access-control-allow-origin']).toBe('*');
    const afterDelivered = await message(report.requestId);
    expect(afterDelivered.status).toBe('DELIVERED');
    await post(second, { event: 'OPENED' }).expect(204);
    await post(first, { event: 'CLICKED' }).expect(204);
    const clicked = await message(report.requestId);
    expect(clicked).toMatchObject({ status: 'CLICKED', delivered: afterDelivered.delivered });
    expect(clicked.opened).toBeGreaterThanOrEqual(clicked.delivered);

    // Repeats change nothing; READ and UNREAD only add to the history; a DELIVERED after CLICKED never moves it back.
    await post(second, { event: 'DELIVERED' }).expect(204);
    await post(first, { event: 'OPENED' }).expect(204);
    await post(first, { event: 'READ' }).expect(204);
    await post(first, { event: 'UNREAD' }).expect(204);
    const final = await message(report.requestId);
    expect(final).toMatchObject({ status: 'CLICKED', delivered: clicked.delivered, opened: clicked.opened, clicked: clicked.clicked });
    expect((await history(report.requestId)).map((e) => e.type)).toEqual(['ENQUEUED', 'SENT', 'DELIVERED', 'OPENED', 'CLICKED', 'READ', 'UNREAD']);
  });

  it('FCM pushes carry theirs in data, each its own', async () => {
    await put('tracked-fcm', fcmToken(20), 'firebase-fcm');
    await put('tracked-fcm', fcmToken(21), 'firebase-fcm');
    const report = await api().sendTo({ user_id: 'tracked-fcm' }, { content: { title: 'Hi' }, data: { order: '7' } });
    const urls = sims.fcm.received.map((r) => (r.message as { data?: Record<string, string> }).data);
    expect(urls).toHaveLength(2);
    expect(urls.every((data) => data?.order === '7' && data.trackingUrl?.startsWith(`https://push.example.com/base/t/${report.requestId}.`))).toBe(true);
    expect(urls[0]!.trackingUrl).not.toBe(urls[1]!.trackingUrl);
  });

  it('an altered or unknown URL is a 404, an unknown event a 400, and a preflight is allowed from anywhere', async () => {
    await put('tracked-2', apnsToken(22), 'apn');
    await api().sendTo({ user_id: 'tracked-2' });
    const url = trackingUrlOf(apnsToken(22))!;
    const altered = url.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    await post(altered, { event: 'OPENED' }).expect(404);
    await request(t.app).post('/t/not-a-tracking-id').send({ event: 'OPENED' }).expect(404);
    const bad = await post(url, { event: 'SEEN' }).expect(400);
    expect(bad.body.errors[0].path).toBe('event');
    const preflight = await request(t.app).options(new URL(url).pathname.replace(/^\/base/, '')).set('Origin', 'https://anywhere.example').set('Access-Control-Request-Method', 'POST').expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
  });

  it('/stats gives the open rate per day: messages sent that day, and how many of them were opened', async () => {
    const stats = (await api().get('/stats').expect(200)).body;
    const today = stats.opened_per_day.find((d: { day: string }) => d.day === new Date().toISOString().slice(0, 10));
    expect(today.sent).toBeGreaterThanOrEqual(2);
    expect(today.opened).toBe(1);
    expect(today.open_rate).toBeCloseTo(1 / today.sent, 3);
  });

  it('message.push.tracking: false sends no trackingUrl', async () => {
    await put('untracked', apnsToken(23), 'apn');
    await api().sendTo({ user_id: 'untracked' }, { content: { title: 'Hi' }, push: { tracking: false } });
    expect(trackingUrlOf(apnsToken(23))).toBeUndefined();
  });
});

describe('listing', () => {
  it('newest first, with cursor paging, and Courier’s filters', async () => {
    for (const n of [30, 31, 32]) await put(`list-user-${n}`, apnsToken(n), 'apn');
    await put('list-user-fcm', fcmToken(30), 'firebase-fcm');
    const before = Date.now() - 1;
    const ids: string[] = [];
    for (const n of [30, 31, 32]) ids.push((await api().sendTo({ user_id: `list-user-${n}` })).requestId);
    const fcmId = (await api().sendTo({ user_id: 'list-user-fcm' })).requestId;

    const first = (await api().get(`/messages?limit=2&enqueued_after=${before}`).expect(200)).body;
    expect(first.results.map((m: { id: string }) => m.id)).toEqual([fcmId, ids[2]]);
    expect(first.paging.more).toBe(true);
    const second = (await api().get(`/messages?limit=2&enqueued_after=${before}&cursor=${first.paging.cursor}`).expect(200)).body;
    expect(second.results.map((m: { id: string }) => m.id)).toEqual([ids[1], ids[0]]);
    expect(second.paging).toEqual({ cursor: null, more: false });

    const fcmOnly = (await api().get(`/messages?provider=firebase-fcm&enqueued_after=${new Date(before).toISOString()}`).expect(200)).body;
    expect(fcmOnly.results.map((m: { id: string }) => m.id)).toEqual([fcmId]);
    const byRecipient = (await api().get('/messages?recipient=list-user-31').expect(200)).body;
    expect(byRecipient.results.map((m: { id: string }) => m.id)).toEqual([ids[1]]);
    // Repeated and comma-separated (as Courier's SDK sends it) both work.
    const statuses = (await api().get('/messages?status=UNROUTABLE&status=UNDELIVERABLE&limit=100').expect(200)).body.results;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((m: { status: string }) => ['UNROUTABLE', 'UNDELIVERABLE'].includes(m.status))).toBe(true);
    expect((await api().get('/messages?status=UNROUTABLE,UNDELIVERABLE&limit=100').expect(200)).body.results).toHaveLength(statuses.length);
    expect((await api().get(`/messages?limit=100&enqueued_after=${before}`).expect(200)).body.results[0]).not.toHaveProperty('tokens');
  });

  it.each([
    ['limit=101', 'limit'],
    ['limit=0', 'limit'],
    ['status=SOMETIMES', 'status'],
    ['provider=carrier-pigeon', 'provider'],
    ['enqueued_after=yesterday', 'enqueued_after'],
    ['cursor=nonsense', 'cursor'],
    ['tag=x', 'tag'],
  ])('?%s is a 400 naming %s', async (query, field) => {
    const answer = await api().get(`/messages?${query}`).expect(400);
    expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain(field);
  });
});

describe('access', () => {
  let id: string;
  beforeAll(async () => {
    await put('access-user', apnsToken(40), 'apn');
    id = (await api().sendTo({ user_id: 'access-user' })).requestId;
  });

  it('needs messages:read; tokens are masked unless the key has tokens:read', async () => {
    const denied = await apiClient(t.app, NO_MESSAGES).get(`/messages/${id}`).expect(403);
    expect(denied.body.missing_scope).toBe('messages:read');
    await apiClient(t.app, SEND_ONLY).get('/messages').expect(403);
    const masked = await message(id, READER);
    expect(masked.tokens[0].token).toBe(`****${apnsToken(40).slice(-4)}`);
    const events = (await apiClient(t.app, READER).get(`/messages/${id}/history`).expect(200)).body.results;
    expect(JSON.stringify(events)).not.toContain(apnsToken(40));
    expect((await message(id)).tokens[0].token).toBe(apnsToken(40));
    // The log keeps only the hint: once the token is deleted, even tokens:read sees the hint.
    await api().deleteToken('access-user', apnsToken(40)).expect(204);
    expect((await message(id)).tokens[0].token).toBe(`****${apnsToken(40).slice(-4)}`);
    const stored = await t.messageStore.collection.findOne({ _id: id });
    expect(JSON.stringify(stored)).not.toContain(apnsToken(40));
  });

  it('another workspace’s message and an unknown id are both 404', async () => {
    await apiClient(t.app, KEY_B).get(`/messages/${id}`).expect(404);
    await apiClient(t.app, KEY_B).get(`/messages/${id}/history`).expect(404);
    await apiClient(t.app, KEY_B).post(`/messages/${id}/cancel`).expect(404);
    await api().get('/messages/00000000-0000-4000-8000-000000000000').expect(404);
    expect((await apiClient(t.app, KEY_B).get(`/messages?messageId=${id}`).expect(200)).body.results).toEqual([]);
  });

  it('user tokens never reach these routes', async () => {
    const issued = await request(t.app).post('/auth/issue-token').set('Authorization', `Bearer ${KEY_A}`).send({ scope: 'user_id:access-user read:user-tokens', expires_in: '1h' }).expect(200);
    await apiClient(t.app, issued.body.token).get(`/messages/${id}`).expect(403);
    await apiClient(t.app, issued.body.token).get('/messages').expect(403);
  });
});
