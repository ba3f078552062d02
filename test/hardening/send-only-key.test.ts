import request from 'supertest';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';

/**
 * Issue 13, finding 4: a key with only `send` got a 403 from GET /users/u/tokens, but
 * POST /send to that user answered every token in full.
 */
const SEND_ONLY = 'sk_send_only_0123456789';
const SEND_AND_READ = 'sk_send_read_0123456789';
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ apiKeys: `ws_a:${KEY_A},ws_a:${SEND_ONLY}=send,ws_a:${SEND_AND_READ}=send+tokens:read` });
  for (const token of ['aaaaaaaaaaaaaaaaaaaa1111', 'bbbbbbbbbbbbbbbbbbbb2222']) {
    await request(t.app).put(`/users/victim/tokens/${token}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  }
  await request(t.app).put('/users/other/tokens/cccccccccccccccccccc3333').set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
});
afterAll(async () => {
  await t.close();
});

const send = (key: string, to: unknown) => apiClient(t.app, key).send({ to, content: { title: 't' } }).expect(200);

it('When a send-only key sends to a user, then the results show tokens shortened to their last 4 characters', async () => {
  await request(t.app).get('/users/victim/tokens').set(bearer(SEND_ONLY)).expect(403);
  const res = await send(SEND_ONLY, { user_id: 'victim' });
  expect(res.body.results.map((r: { token: string }) => r.token).sort()).toEqual(['****1111', '****2222']);
  expect(res.body.results.every((r: { user_id: string }) => r.user_id === 'victim')).toBe(true);
  expect(JSON.stringify(res.body)).not.toContain('aaaaaaaa');
});

it('When a send-only key sends to a token, then the result does not say whose it is', async () => {
  const res = await send(SEND_ONLY, { token: 'cccccccccccccccccccc3333' });
  expect(res.body.results).toEqual([expect.objectContaining({ token: '****3333', user_id: null })]);
});

it('When the key also holds tokens:read, then the results show tokens and users in full', async () => {
  const res = await send(SEND_AND_READ, [{ user_id: 'victim' }, { token: 'cccccccccccccccccccc3333' }]);
  expect(res.body.results.map((r: { token: string }) => r.token).sort()).toEqual(['aaaaaaaaaaaaaaaaaaaa1111', 'bbbbbbbbbbbbbbbbbbbb2222', 'cccccccccccccccccccc3333']);
  expect(res.body.results.find((r: { token: string }) => r.token.endsWith('3333')).user_id).toBe('other');
});
