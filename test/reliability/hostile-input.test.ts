import { createHash } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

/** Each hostile input gets a 4xx and leaves the database exactly as it was. */
let t: TestApp;
let server: TestApp['server'];
let port: number;
beforeAll(async () => {
  t = await createTestApp();
  await request(t.app).put('/users/victim/tokens/existing-token').set(bearer(KEY_A)).send({ provider_key: 'apn', properties: { a: 1 } }).expect(204);
  server = t.server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

async function snapshot(): Promise<string> {
  const docs = await t.model.collection.find({}, { sort: { _id: 1 } }).toArray();
  return createHash('sha256').update(JSON.stringify(docs)).digest('hex');
}

/** Sends raw bytes, for requests no well-behaved client library would send. */
function raw(payload: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(payload));
    let response = '';
    socket.on('data', (chunk) => (response += chunk.toString('latin1')));
    socket.on('end', () => resolve(response));
    socket.on('error', reject);
  });
}
const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);

// Through the service's own HTTP server: oversized request lines are its business, not Express's.
const put = (path: string, body: unknown) => request(server).put(path).set(bearer(KEY_A)).set('Content-Type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));

let deep = '1';
for (let i = 0; i < 10_000; i++) deep = `[${deep}]`;

const cases: [string, () => Promise<{ status: number }>][] = [
  ['{"$ne": null} as the provider_key', () => put('/users/victim/tokens/existing-token', { provider_key: { $ne: null } })],
  ['$where in properties', () => put('/users/victim/tokens/existing-token', { provider_key: 'apn', properties: { $where: 'sleep(5000)' } })],
  ['$ne deep in device', () => put('/users/victim/tokens/existing-token', { provider_key: 'apn', device: { model: { $ne: 'x' } } })],
  ['$ne in the bulk token field', () => put('/users/victim/tokens', { tokens: [{ token: { $ne: null }, provider_key: 'apn' }] })],
  ['an operator object in a PATCH value', () => request(t.app).patch('/users/victim/tokens/existing-token').set(bearer(KEY_A)).send({ patch: [{ op: 'add', path: '/properties/x', value: { $set: { status: 'failed' } } }] })],
  ['an operator in the query string', () => request(t.app).get('/users/victim/tokens?status[$ne]=active').set(bearer(KEY_A))],
  ['an operator in the device list query', () => request(t.app).get('/api/v1/people/victim/devices?platform[$regex]=.*').set(bearer(KEY_A))],
  ['$where in a /send recipient', () => request(t.app).post('/send').set(bearer(KEY_A)).send({ message: { to: { user_id: { $where: '1' } } } })],
  ['__proto__ at the top', () => put('/users/victim/tokens/existing-token', '{"provider_key":"apn","__proto__":{"status":"failed"}}')],
  ['__proto__ in properties', () => put('/users/victim/tokens/existing-token', '{"provider_key":"apn","properties":{"__proto__":{"isAdmin":true}}}')],
  ['constructor.prototype in properties', () => put('/users/victim/tokens/existing-token', { provider_key: 'apn', properties: { constructor: { prototype: { polluted: true } } } })],
  ['__proto__ in a PATCH path', () => request(t.app).patch('/users/victim/tokens/existing-token').set(bearer(KEY_A)).send({ patch: [{ op: 'add', path: '/properties/__proto__', value: { polluted: true } }] })],
  ['10,000-deep nesting in properties', () => put('/users/victim/tokens/existing-token', `{"provider_key":"apn","properties":{"x":${deep}}}`)],
  ['10,000-deep nesting as the body', () => put('/users/victim/tokens/existing-token', deep)],
  ['a 10 MB body', () => put('/users/victim/tokens/existing-token', `{"provider_key":"apn","properties":{"x":"${'y'.repeat(10 * 1024 * 1024)}"}}`)],
  ['invalid UTF-8', () => request(t.app).put('/users/victim/tokens/existing-token').set(bearer(KEY_A)).set('Content-Type', 'application/json').serialize(() => Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) as unknown as string).send('x')],
  ['a ../ token', () => put('/users/victim/tokens/..%2F..%2Fadmin', { provider_key: 'apn' })],
  ['a ../ device token', () => request(t.app).delete('/api/v1/people/victim/devices/..%2Fexisting-token').set(bearer(KEY_A))],
  ['a token of 100k characters', () => put(`/users/victim/tokens/${'z'.repeat(100_000)}`, { provider_key: 'apn' })],
  ['a body token of 100k characters', () => put('/users/victim/tokens', { tokens: [{ token: 'z'.repeat(60_000), provider_key: 'apn' }] })],
];

describe('hostile input', () => {
  it.each(cases)('When a request carries %s, then it is a 4xx and nothing changes', async (_name, send) => {
    const before = await snapshot();
    const res = await send();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await snapshot()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it.each([
    ['CRLF smuggled into X-Request-Id', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\rSet-Cookie: evil=1\r\n\r\n`],
    ['a bare LF inside a header value', `GET /users/victim/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY_A}\nX-Injected: 1\r\n\r\n`],
    ['two Content-Length headers', `PUT /users/victim/tokens/existing-token HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY_A}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\n{}`],
    ['Content-Length with Transfer-Encoding (request smuggling)', `PUT /users/victim/tokens/existing-token HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY_A}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ])('When a raw request carries %s, then it is refused with a 4xx and no header is injected', async (_name, payload) => {
    const before = await snapshot();
    const response = await raw(payload);
    const status = statusOf(response);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(response).not.toMatch(/\r\nSet-Cookie: evil/i);
    expect(response).not.toMatch(/\r\nX-Injected/i);
    expect(await snapshot()).toBe(before);
  });

  it('When X-Request-Id holds characters outside the safe set, then a fresh id is used instead', async () => {
    const res = await request(t.app).get('/healthz').set('X-Request-Id', '<script>alert(1)</script>').expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('When 50 identical PUTs race, then exactly one document exists and none errs', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, () => put('/users/idem/tokens/idempotent-token', { provider_key: 'firebase-fcm', properties: { same: true } })));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(204));
    expect(await t.model.countDocuments({ token: 'idempotent-token' })).toBe(1);
  });
});
