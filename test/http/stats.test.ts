import request from 'supertest';
import { bearer, createTestApp, KEY_A, KEY_B, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';

/** GET /stats (the console's overview) and GET /tokens/:token (the console's token lookup). */
const DAY = 86_400_000;
let t: TestApp;
let clock = Date.parse('2026-11-25T12:00:00Z');
beforeAll(async () => {
  t = await createTestApp({ apiKeys: 'ws_a:sk_test_a_0123456789,ws_b:sk_test_b_0123456789,ws_a:sk_ro_a_0123456789=tokens:read' , now: () => new Date(clock) });
  const put = (user: string, token: string, provider_key: string) => apiClient(t.app, KEY_A).putToken(user, token, { provider_key }).expect(204);
  await put('alice', 'a'.repeat(64), 'apn');
  await put('alice', 'fcm-alice:APA91b', 'firebase-fcm');
  await put('bob', 'b'.repeat(64), 'apn');
  await put('carol', 'fcm-carol:APA91b', 'firebase-fcm');
  await request(t.app).put('/users/zed/tokens/fcm-zed:APA91b').set(bearer(KEY_B)).send({ provider_key: 'firebase-fcm' }).expect(204);
  // Two invalidations on different days, by the sender's own rule (status failed, a reason).
  const fail = (token: string, reason: string, at: number) =>
    t.model.collection.updateOne({ workspace_id: 'ws_a', token }, { $set: { status: 'failed', status_reason: reason, updated_at: new Date(at) } });
  await fail('b'.repeat(64), 'apns:Unregistered', clock - 3 * DAY);
  await fail('fcm-carol:APA91b', 'fcm:UNREGISTERED', clock - 1 * DAY);
  await t.model.collection.updateOne({ workspace_id: 'ws_a', token: 'fcm-alice:APA91b' }, { $set: { status: 'failed', status_reason: 'fcm:UNREGISTERED', updated_at: new Date(clock - 40 * DAY) } });
});
afterAll(() => t.close());

it('GET /stats: tokens by provider and status, invalidations per day for 30 days by reason, users without a sendable token; per workspace', async () => {
  const stats = (await request(t.app).get('/stats').set(bearer(KEY_A)).expect(200)).body;
  expect(stats.tokens).toEqual([
    { provider_key: 'apn', status: 'active', count: 1 },
    { provider_key: 'apn', status: 'failed', count: 1 },
    { provider_key: 'firebase-fcm', status: 'failed', count: 2 },
  ]);
  expect(stats.invalidated_per_day).toEqual([
    { day: '2026-11-22', reason: 'apns:Unregistered', count: 1 },
    { day: '2026-11-24', reason: 'fcm:UNREGISTERED', count: 1 },
  ]);
  expect(stats.users).toEqual({ total: 3, without_sendable_token: 2 });
  const other = (await request(t.app).get('/stats').set(bearer(KEY_B)).expect(200)).body;
  expect(other.users).toEqual({ total: 1, without_sendable_token: 0 });
});

it('GET /stats is cached for about 30 s per workspace', async () => {
  const first = (await request(t.app).get('/stats').set(bearer(KEY_A)).expect(200)).body;
  await request(t.app).put(`/users/dave/tokens/${'d'.repeat(64)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  expect((await request(t.app).get('/stats').set(bearer(KEY_A)).expect(200)).body).toEqual(first);
  clock += 31_000;
  expect((await request(t.app).get('/stats').set(bearer(KEY_A)).expect(200)).body.users.total).toBe(first.users.total + 1);
});

it('GET /stats needs tokens:read; a read-only key may', async () => {
  await request(t.app).get('/stats').set(bearer('sk_ro_a_0123456789')).expect(200);
  await request(t.app).get('/stats').expect(401);
});

it('GET /tokens/:token: which user holds a token in this workspace, and its state; 404 elsewhere', async () => {
  const found = (await request(t.app).get(`/tokens/${'b'.repeat(64)}`).set(bearer(KEY_A)).expect(200)).body;
  expect(found).toMatchObject({ user_id: 'bob', provider_key: 'apn', status: 'failed', status_reason: 'apns:Unregistered' });
  await request(t.app).get(`/tokens/${'b'.repeat(64)}`).set(bearer(KEY_B)).expect(404);
  await request(t.app).get('/tokens/fcm-zed:APA91b').set(bearer(KEY_B)).expect(200);
});

it('GET /tokens/:token refuses user tokens: a user may only see its own tokens', async () => {
  const issued = (await request(t.app).post('/auth/issue-token').set(bearer(KEY_A)).send({ scope: 'user_id:alice read:user-tokens' }).expect(200)).body;
  await request(t.app).get(`/tokens/${'a'.repeat(64)}`).set(bearer(issued.token)).expect(403);
  await request(t.app).get('/stats').set(bearer(issued.token)).expect(403);
});
