import request from 'supertest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { createTestApp, FAST_RETRY, KEY_A, KEY_B, TEST_API_KEYS, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { apnsToken } from '../support/tokens';

/**
 * Webhooks end to end (issue 21): endpoints through the API, events from real sends through
 * the simulators, deliveries to a real HTTP receiver that verifies every one with the
 * `standardwebhooks` library and Svix's `Webhook` class, using the secret the service returned.
 */
const NO_TOKENS = 'sk_test_webhooks_only';
type Received = { headers: http.IncomingHttpHeaders; body: string };
let sims: SimulatedProviders;
let t: TestApp;
let receiver: http.Server;
let receiverUrl: string;
const received: Received[] = [];
let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.writeHead(204).end();
const api = (key = KEY_A) => apiClient(t.app, key);

beforeAll(async () => {
  sims = await startSimulatedProviders();
  t = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, apiKeys: `${TEST_API_KEYS},ws_a:${NO_TOKENS}=webhooks:read+webhooks:write`, webhooks: { allowHttp: true, allowPrivate: true, attemptTimeoutMs: 1_000 } });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterEach(async () => {
  received.length = 0;
  answer = (_req, res) => res.writeHead(204).end();
  sims.apns.reset();
  await t.database.db.collection('webhook_deliveries').deleteMany({});
  await t.database.db.collection('webhook_endpoints').deleteMany({});
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await sims.close();
  await t.close();
});

async function register(events: string[], url = receiverUrl): Promise<{ id: string; secret: string }> {
  const created = await api().post('/webhooks', { url, events, description: 'test receiver' }).expect(201);
  expect(created.body.secret).toMatch(/^whsec_/);
  return { id: created.body.id, secret: created.body.secret };
}

/** Verifies a delivery as a receiver would, with both libraries; answers its payload. */
function verified(delivery: Received, secret: string): { type: string; timestamp: string; data: Record<string, any> } {
  const headers = { 'webhook-id': String(delivery.headers['webhook-id']), 'webhook-timestamp': String(delivery.headers['webhook-timestamp']), 'webhook-signature': String(delivery.headers['webhook-signature']) };
  const payload = new Webhook(secret).verify(delivery.body, headers) as { type: string; timestamp: string; data: Record<string, any> };
  expect(new SvixWebhook(secret).verify(delivery.body, { 'svix-id': headers['webhook-id'], 'svix-timestamp': headers['webhook-timestamp'], 'svix-signature': headers['webhook-signature'] })).toEqual(payload);
  return payload;
}

describe('the endpoints API', () => {
  it('creates, reads (never the secret), changes and deletes an endpoint', async () => {
    const { id } = await register(['message.updated']);
    const read = (await api().get(`/webhooks/${id}`).expect(200)).body;
    expect(read).toMatchObject({ id, url: receiverUrl, events: ['message.updated'], description: 'test receiver', disabled: false });
    expect(JSON.stringify(read)).not.toMatch(/whsec_/);
    expect(JSON.stringify((await api().get('/webhooks').expect(200)).body)).not.toMatch(/whsec_/);
    const stored = JSON.stringify(await t.database.db.collection('webhook_endpoints').find().toArray());
    expect(stored).not.toMatch(/whsec_/);
    expect((await request(t.app).patch(`/webhooks/${id}`).set('Authorization', `Bearer ${KEY_A}`).send({ events: ['message.updated', 'webhook.test'], disabled: true }).expect(200)).body).toMatchObject({ events: ['message.updated', 'webhook.test'], disabled: true });
    await apiClient(t.app, KEY_B).get(`/webhooks/${id}`).expect(404);
    await api().del(`/webhooks/${id}`).expect(204);
    await api().get(`/webhooks/${id}`).expect(404);
  });

  it('token.invalidated needs tokens:read too (whole tokens), message.updated messages:read (recipients); the test event needs neither', async () => {
    const refused = await api(NO_TOKENS).post('/webhooks', { url: receiverUrl, events: ['token.invalidated'] }).expect(403);
    expect(refused.body.missing_scope).toBe('tokens:read');
    expect((await api(NO_TOKENS).post('/webhooks', { url: receiverUrl, events: ['message.updated'] }).expect(403)).body.missing_scope).toBe('messages:read');
    await api(NO_TOKENS).post('/webhooks', { url: receiverUrl, events: ['webhook.test'] }).expect(201);
  });

  it.each([
    [{ url: 'ftp://example.com/x', events: ['webhook.test'] }, 'url'],
    [{ url: receiverUrl, events: [] }, 'events'],
    [{ url: receiverUrl, events: ['token.died'] }, 'events[0]'],
    [{ url: receiverUrl, events: ['webhook.test'], secret: 'mine' }, 'secret'],
  ])('%j is a 400 naming %s', async (body, path) => {
    const answer = await api().post('/webhooks', body).expect(400);
    expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });
});

describe('delivery', () => {
  it('each dead token of a send is one token.invalidated, signed, verified by both libraries', async () => {
    const { secret } = await register(['token.invalidated']);
    await api().putToken('wh-user', apnsToken(1), { provider_key: 'apn', device: { app_id: 'com.example.app' } }).expect(204);
    await api().putToken('wh-user', apnsToken(2), { provider_key: 'apn' }).expect(204);
    await api().putToken('wh-user', apnsToken(3), { provider_key: 'apn' }).expect(204);
    sims.apns.stage(apnsToken(1), { status: 410, reason: 'Unregistered' });
    sims.apns.stage(apnsToken(2), { status: 410, reason: 'Unregistered' });
    const report = await api().sendTo({ user_id: 'wh-user' });
    expect(report.summary).toMatchObject({ invalidated: 2, delivered: 1 });
    expect(await t.dispatcher.runOnce()).toMatchObject({ delivered: 2 });
    const events = received.map((r) => verified(r, secret));
    expect(events.map((e) => e.type)).toEqual(['token.invalidated', 'token.invalidated']);
    expect(events.map((e) => e.data.token).sort()).toEqual([apnsToken(1), apnsToken(2)]);
    expect(events.find((e) => e.data.token === apnsToken(1))!.data).toEqual({ user_id: 'wh-user', token: apnsToken(1), provider_key: 'apn', app_id: 'com.example.app', reason: 'apns:Unregistered', message_id: report.requestId });
    // Delivered once: nothing is left to deliver.
    expect(await t.dispatcher.runOnce()).toMatchObject({ delivered: 0 });
  });

  it('a Courier PATCH that makes a token failed is one token.invalidated; patching it again is none', async () => {
    const { secret } = await register(['token.invalidated']);
    await api().putToken('wh-patch', apnsToken(30), { provider_key: 'apn' }).expect(204);
    await api().patchToken('wh-patch', apnsToken(30), [{ op: 'replace', path: '/status', value: 'failed' }, { op: 'add', path: '/status_reason', value: 'uninstalled (our backend)' }]).expect(204);
    await api().patchToken('wh-patch', apnsToken(30), [{ op: 'add', path: '/properties/x', value: 1 }]).expect(204);
    await t.dispatcher.runOnce();
    expect(received.map((r) => verified(r, secret).data)).toEqual([
      { user_id: 'wh-patch', token: apnsToken(30), provider_key: 'apn', app_id: null, reason: 'uninstalled (our backend)', message_id: null },
    ]);
  });

  it('a message produces message.updated on each status change', async () => {
    const { secret } = await register(['message.updated']);
    await api().putToken('wh-msg', apnsToken(10), { provider_key: 'apn' }).expect(204);
    const delayed = await api().send({ to: { user_id: 'wh-msg' }, content: { title: 'x' }, delay: { duration: 0 } }).expect(202);
    await t.scheduler.runOnce();
    await t.dispatcher.runOnce();
    // Deliveries to one endpoint go out concurrently: their order is not guaranteed (docs/webhooks.md).
    const events = received.map((r) => verified(r, secret));
    expect(events.map((e) => [e.data.message.id, e.data.message.status]).sort()).toEqual([
      [delayed.body.requestId, 'ENQUEUED'],
      [delayed.body.requestId, 'SENT'],
    ]);
    expect(events.find((e) => e.data.message.status === 'SENT')!.data.message).toMatchObject({ recipient: 'wh-msg', event: '', notification: '', sent: expect.any(Number) });
  });

  it('retries after a 500 with the same webhook-id, then delivers', async () => {
    const { id, secret } = await register(['webhook.test']);
    let calls = 0;
    answer = (_req, res) => res.writeHead(++calls === 1 ? 500 : 200).end('ok');
    const test = await api().post(`/webhooks/${id}/test`).expect(202);
    expect(await t.dispatcher.runOnce()).toMatchObject({ retrying: 1 });
    const row = await t.database.db.collection('webhook_deliveries').findOne({});
    expect(row!.due_at.getTime() - Date.now()).toBeGreaterThan(3_000);
    await t.database.db.collection('webhook_deliveries').updateOne({}, { $set: { due_at: new Date() } });
    expect(await t.dispatcher.runOnce()).toMatchObject({ delivered: 1 });
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([test.body.event_id, test.body.event_id]);
    expect(verified(received[1]!, secret).type).toBe('webhook.test');
    const attempts = (await api().get(`/webhooks/${id}/attempts`).expect(200)).body.results;
    expect(attempts.map((a: { status: number }) => a.status)).toEqual([200, 500]);
    expect(attempts[1].next_retry).toEqual(expect.any(String));
    expect(attempts[0]).toMatchObject({ event_id: test.body.event_id, type: 'webhook.test', response: 'ok', error: null, next_retry: null });
  });

  it('a credential the provider refuses is one delivery.held, at most once per credential and reason per 10 minutes', async () => {
    const { secret } = await register(['delivery.held']);
    await api().putToken('wh-held', apnsToken(20), { provider_key: 'apn' }).expect(204);
    sims.apns.stage(apnsToken(20), [{ status: 403, reason: 'InvalidProviderToken' }, { status: 403, reason: 'InvalidProviderToken' }]);
    await api().sendTo({ user_id: 'wh-held' });
    await api().sendTo({ user_id: 'wh-held' });
    await t.dispatcher.runOnce();
    expect(received.map((r) => verified(r, secret))).toEqual([
      { type: 'delivery.held', timestamp: expect.any(String), data: { provider_key: 'apn', app_id: null, credential_id: null, reason: 'apns:InvalidProviderToken', count: 1 } },
    ]);
  });

  it('retries after a timeout (WEBHOOK_TIMEOUT without an answer, 1 s here) with the same webhook-id', async () => {
    const { id } = await register(['webhook.test']);
    let calls = 0;
    // The first attempt gets no answer at all; the retry is answered.
    answer = (_req, res) => {
      if (++calls > 1) res.writeHead(204).end();
    };
    const test = await api().post(`/webhooks/${id}/test`).expect(202);
    expect(await t.dispatcher.runOnce()).toMatchObject({ retrying: 1 });
    await t.database.db.collection('webhook_deliveries').updateOne({}, { $set: { due_at: new Date() } });
    expect(await t.dispatcher.runOnce()).toMatchObject({ delivered: 1 });
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([test.body.event_id, test.body.event_id]);
    const attempts = (await api().get(`/webhooks/${id}/attempts`).expect(200)).body.results;
    expect(attempts[1]).toMatchObject({ status: null, error: expect.stringMatching(/no answer within 1 s/) });
  });

  it('a redirect is not followed: the attempt fails with its status and is retried', async () => {
    const { id } = await register(['webhook.test']);
    answer = (_req, res) => res.writeHead(302, { location: `${receiverUrl}/elsewhere` }).end();
    await api().post(`/webhooks/${id}/test`).expect(202);
    expect(await t.dispatcher.runOnce()).toMatchObject({ retrying: 1 });
    expect(received).toHaveLength(1);
    expect((await api().get(`/webhooks/${id}/attempts`).expect(200)).body.results[0]).toMatchObject({ status: 302 });
  });

  it('an endpoint failing for WEBHOOK_DISABLE_AFTER (5 days) is disabled', async () => {
    const { id } = await register(['webhook.test']);
    answer = (_req, res) => res.writeHead(503).end();
    await t.webhookEndpoints.collection.updateOne({ _id: id }, { $set: { failing_since: new Date(Date.now() - 5 * 86_400_000 - 1000) } });
    await api().post(`/webhooks/${id}/test`).expect(202);
    await t.dispatcher.runOnce();
    expect((await api().get(`/webhooks/${id}`).expect(200)).body).toMatchObject({ disabled: true, disabled_reason: expect.stringMatching(/WEBHOOK_DISABLE_AFTER/) });
    // Enabling it by hand starts its failure streak over.
    await request(t.app).patch(`/webhooks/${id}`).set('Authorization', `Bearer ${KEY_A}`).send({ disabled: false }).expect(200);
    expect((await t.webhookEndpoints.collection.findOne({ _id: id }))!.failing_since).toBeUndefined();
  });

  it('a 410 disables the endpoint', async () => {
    const { id } = await register(['webhook.test']);
    answer = (_req, res) => res.writeHead(410).end();
    await api().post(`/webhooks/${id}/test`).expect(202);
    await t.dispatcher.runOnce();
    expect((await api().get(`/webhooks/${id}`).expect(200)).body).toMatchObject({ disabled: true, disabled_reason: expect.stringMatching(/410/) });
    expect(await t.database.db.collection('webhook_deliveries').countDocuments()).toBe(0);
  });

  it('after a rotation, deliveries carry both signatures: the old secret and the new one each verify', async () => {
    const { id, secret: old } = await register(['webhook.test']);
    const { secret: fresh } = (await api().post(`/webhooks/${id}/rotate-secret`).expect(200)).body;
    expect(fresh).not.toBe(old);
    await api().post(`/webhooks/${id}/test`).expect(202);
    await t.dispatcher.runOnce();
    expect(String(received[0]!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verified(received[0]!, old).type).toBe('webhook.test');
    expect(verified(received[0]!, fresh).type).toBe('webhook.test');
  });
});
