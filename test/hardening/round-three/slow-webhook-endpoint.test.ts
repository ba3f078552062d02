import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { bearer, createTestApp, KEY_A, KEY_B, type TestApp } from '../../support/test-app';
import { waitFor } from '../../support/wait-for';

/**
 * Round three, finding 2: one endpoint that answers a byte every 5 seconds held its attempt for
 * 60 s (the timeout only fired after 15 s of silence), and the dispatcher's pass awaited every
 * endpoint, so another workspace's event waited 58 s. A 10 MB answer was read in full. Now one
 * deadline covers the whole attempt, the answer is read only as far as what is kept, and each
 * endpoint has its own lane.
 */
let t: TestApp;
let slow: http.Server;
let fast: http.Server;
let flood: http.Server;
const fastSeen: number[] = [];
let floodBytesSent = 0;
let floodClosed = false;
const urlOf = (server: http.Server, path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
const listen = (server: http.Server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

beforeAll(async () => {
  // Headers at once, then one byte every 500 ms, never ending: each read is well inside any idle timeout.
  slow = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('.'), 500);
    res.on('close', () => clearInterval(timer));
  });
  fast = http.createServer((req, res) => {
    req.resume();
    fastSeen.push(Date.now());
    res.writeHead(204).end();
  });
  // 10 MB in 64 KB writes, as fast as the socket takes them; counts what actually went out.
  flood = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let left = 160;
    const write = () => {
      while (left > 0) {
        left--;
        floodBytesSent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', write);
      }
      res.end();
    };
    res.on('close', () => {
      left = 0;
      floodClosed = true;
    });
    write();
  });
  await Promise.all([listen(slow), listen(fast), listen(flood)]);
  t = await createTestApp({ webhooks: { allowHttp: true, allowPrivate: true, attemptTimeoutMs: 3_000, intervalMs: 100 } });
  t.dispatcher.start();
});
afterAll(async () => {
  await t.close();
  for (const server of [slow, fast, flood]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const hook = async (key: string, url: string) => (await request(t.app).post('/webhooks').set(bearer(key)).send({ url, events: ['webhook.test'] }).expect(201)).body.id as string;
const fire = async (key: string, id: string) => (await request(t.app).post(`/webhooks/${id}/test`).set(bearer(key)).expect(202)).body.event_id as string;
const attempts = async (key: string, id: string) => (await request(t.app).get(`/webhooks/${id}/attempts`).set(bearer(key)).expect(200)).body.results as { status: number | null; error: string | null; duration_ms: number; response: string | null }[];

it("a trickling endpoint is cut off at the attempt's deadline, and another workspace's event goes out meanwhile", async () => {
  const slowId = await hook(KEY_A, urlOf(slow, '/trickle'));
  const fastId = await hook(KEY_B, urlOf(fast, '/hooks'));
  await fire(KEY_A, slowId);
  // The trickling attempt is under way before the other workspace's event exists.
  await waitFor(async () => (await t.database.db.collection('webhook_deliveries').countDocuments({ endpoint_id: slowId, claim: { $exists: true } })) === 1, 'the slow delivery to be claimed');
  const firedAt = Date.now();
  await fire(KEY_B, fastId);
  await waitFor(() => fastSeen.length === 1, "the other workspace's delivery");
  // Far less than the slow endpoint's deadline: its lane never held this one up.
  expect(fastSeen[0]! - firedAt).toBeLessThan(3_000);
  await waitFor(async () => (await attempts(KEY_A, slowId)).length === 1, 'the slow attempt to be recorded', { timeoutMs: 10_000 });
  const [attempt] = await attempts(KEY_A, slowId);
  expect(attempt).toMatchObject({ status: null, error: 'no answer within 3 s' });
  expect(attempt!.duration_ms).toBeLessThan(4_500);
});

it('a 10 MB answer is read only as far as the 1 KB kept', async () => {
  const id = await hook(KEY_A, urlOf(flood, '/flood'));
  await fire(KEY_A, id);
  await waitFor(async () => (await attempts(KEY_A, id)).length === 1, 'the flood attempt to be recorded');
  const [attempt] = await attempts(KEY_A, id);
  expect(attempt).toMatchObject({ status: 200, error: null });
  expect(attempt!.response).toHaveLength(1024);
  // The service hung up: what went out is bounded by socket buffers, not by the 10 MB the receiver had to give.
  await waitFor(() => floodClosed, 'the service to close the flooding answer');
  expect(floodBytesSent).toBeLessThan(5 * 1024 * 1024);
});
