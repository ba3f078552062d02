import request from 'supertest';
import { bearer, createTestApp, KEY_A, TEST_API_KEYS, type TestApp } from '../../support/test-app';

/**
 * Round three, finding 1: a webhooks:write key without tokens:read could PATCH the url of an
 * existing token.invalidated endpoint to its own receiver, or rotate its secret, and then read
 * whole tokens from signed events. An endpoint's reach is checked on every change that
 * redirects or re-keys it: tokens:read for token.invalidated, messages:read for message.updated.
 */
const HOOKS_ONLY = 'sk_round3_hooks_only';
const HOOKS_AND_TOKENS = 'sk_round3_hooks_tokens';
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    apiKeys: `${TEST_API_KEYS},ws_a:${HOOKS_ONLY}=webhooks:read+webhooks:write,ws_a:${HOOKS_AND_TOKENS}=webhooks:read+webhooks:write+tokens:read`,
    webhooks: { allowHttp: true, allowPrivate: true },
  });
});
afterAll(async () => {
  await t.close();
});

const create = async (events: string[]) => (await request(t.app).post('/webhooks').set(bearer(KEY_A)).send({ url: 'http://127.0.0.1:9/hooks', events }).expect(201)).body.id as string;

describe.each([
  ['token.invalidated', 'tokens:read', HOOKS_ONLY],
  ['message.updated', 'messages:read', HOOKS_AND_TOKENS],
])('an endpoint for %s, and a key without %s', (event, scope, key) => {
  it('may not redirect it, re-subscribe another endpoint to it, or re-key it: 403 naming the scope, nothing changed', async () => {
    const id = await create([event]);
    const other = await create(['webhook.test']);
    const before = await t.webhookEndpoints.collection.findOne({ _id: id });
    for (const attempt of [
      request(t.app).patch(`/webhooks/${id}`).set(bearer(key)).send({ url: 'http://127.0.0.1:9/attacker' }),
      request(t.app).patch(`/webhooks/${other}`).set(bearer(key)).send({ events: [event] }),
      request(t.app).post(`/webhooks/${id}/rotate-secret`).set(bearer(key)),
      request(t.app).post('/webhooks').set(bearer(key)).send({ url: 'http://127.0.0.1:9/attacker', events: [event] }),
    ]) {
      const res = await attempt;
      expect(res.status).toBe(403);
      expect(JSON.stringify(res.body)).toContain(scope);
    }
    const after = await t.webhookEndpoints.collection.findOne({ _id: id });
    expect(after).toEqual(before);
    expect((await t.webhookEndpoints.collection.findOne({ _id: other }))!.events).toEqual(['webhook.test']);
  });

  it('may still describe or disable it, which reveals nothing', async () => {
    const id = await create([event]);
    await request(t.app).patch(`/webhooks/${id}`).set(bearer(key)).send({ description: 'ours', disabled: true }).expect(200);
  });
});
