import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, KEY_A, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';
import { destinationProblem } from '../../src/webhooks/destination';

/**
 * The SSRF boundary of webhooks (issue 21), under the default settings: https only, and no
 * loopback, private, link-local (cloud metadata), CGNAT, multicast or unspecified address,
 * refused at registration when the address is literal, and at delivery (after DNS) otherwise.
 */
describe('at registration, a 400 naming url', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['https://127.0.0.1/hook', /loopback/],
    ['https://localhost/hook', /loopback/],
    ['https://app.localhost/hook', /loopback/],
    ['http://169.254.169.254/latest/meta-data', /https/],
    ['https://169.254.169.254/latest/meta-data', /linkLocal/],
    ['https://10.0.0.5/hook', /private/],
    ['https://192.168.1.10/hook', /private/],
    ['https://100.64.0.1/hook', /carrierGradeNat/],
    ['https://[::1]/hook', /loopback/],
    ['https://[fd00::1]/hook', /uniqueLocal/],
    ['https://0.0.0.0/hook', /unspecified/],
    ['https://224.0.0.1/hook', /multicast/],
    ['https://user:pass@example.com/hook', /credentials/],
    ['http://example.com/hook', /https/],
  ])('%s', async (url, message) => {
    const answer = await apiClient(t.app, KEY_A).post('/webhooks', { url, events: ['webhook.test'] }).expect(400);
    expect(answer.body.errors).toEqual([{ path: 'url', message: expect.stringMatching(message) }]);
  });

  it('a public https URL is fine', async () => {
    await apiClient(t.app, KEY_A).post('/webhooks', { url: 'https://hooks.example.com/push', events: ['webhook.test'] }).expect(201);
  });
});

describe('destinationProblem, as a table', () => {
  it.each<[string, { allowHttp: boolean; allowPrivate: boolean }, boolean]>([
    ['http://127.0.0.1/x', { allowHttp: true, allowPrivate: true }, true],
    ['http://127.0.0.1/x', { allowHttp: true, allowPrivate: false }, false],
    ['https://127.0.0.1/x', { allowHttp: false, allowPrivate: true }, true],
    ['https://8.8.8.8/x', { allowHttp: false, allowPrivate: false }, true],
    ['https://[::ffff:127.0.0.1]/x', { allowHttp: false, allowPrivate: false }, false],
    ['not a url', { allowHttp: true, allowPrivate: true }, false],
    // Round three, finding 8: a trailing dot is the same name.
    ['https://localhost./x', { allowHttp: false, allowPrivate: false }, false],
    ['https://foo.localhost./x', { allowHttp: false, allowPrivate: false }, false],
    ['https://LOCALHOST../x', { allowHttp: false, allowPrivate: false }, false],
    ['https://hooks.example.com./x', { allowHttp: false, allowPrivate: false }, true],
  ])('%s with %j: allowed %s', (url, policy, allowed) => {
    expect(destinationProblem(url, policy) === undefined).toBe(allowed);
  });
});

describe('at delivery, after DNS: a name that resolves to loopback is never contacted', () => {
  let t: TestApp;
  let receiver: http.Server;
  let hits = 0;
  beforeAll(async () => {
    // http allowed (a development setting), private addresses not: the address check alone decides.
    t = await createTestApp({ webhooks: { allowHttp: true, allowPrivate: false } });
    receiver = http.createServer((_req, res) => {
      hits++;
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await t.close();
  });

  it('an endpoint whose name now resolves to 127.0.0.1 gets nothing; the attempt says why', async () => {
    const port = (receiver.address() as AddressInfo).port;
    const created = await apiClient(t.app, KEY_A).post('/webhooks', { url: `http://hooks.example.com:${port}/x`, events: ['webhook.test'] }).expect(201);
    // As if its DNS changed after registration: the name now resolves to loopback.
    await t.webhookEndpoints.collection.updateOne({ _id: created.body.id }, { $set: { url: `http://localhost:${port}/x` } });
    await apiClient(t.app, KEY_A).post(`/webhooks/${created.body.id}/test`).expect(202);
    expect(await t.dispatcher.runOnce()).toMatchObject({ delivered: 0, retrying: 1 });
    expect(hits).toBe(0);
    const [attempt] = (await apiClient(t.app, KEY_A).get(`/webhooks/${created.body.id}/attempts`).expect(200)).body.results;
    // Round three, finding 8: the record says only that, never what the name resolved to.
    expect(attempt).toMatchObject({ status: null, error: 'destination not allowed' });
  });
});
