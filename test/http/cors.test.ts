import request from 'supertest';
import { loadConfig } from '../../src/config';
import { bearer, createTestApp, KEY_A, TEST_API_KEYS, type TestApp } from '../support/test-app';

/** CORS for client apps in a browser: only the routes a user token may call, only for listed origins. */
const APP = 'https://app.example.com';
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ corsOrigins: [APP, 'http://localhost:5173'] });
});
afterAll(async () => {
  await t.close();
});

const preflight = (path: string, origin: string, method = 'PUT') =>
  request(t.app).options(path).set('Origin', origin).set('Access-Control-Request-Method', method).set('Access-Control-Request-Headers', 'authorization,content-type,x-courier-ua');

it.each([
  ['/users/u1/tokens/t1', 'PUT'],
  ['/users/u1/tokens/t1', 'DELETE'],
  ['/users/u1/tokens/t1', 'PATCH'],
  ['/users/u1/tokens', 'GET'],
  ['/api/v1/people/p1/devices', 'POST'],
  ['/api/v1/people/p1/devices/t1', 'DELETE'],
  ['/webpush/public-key', 'GET'],
])('A preflight from a listed origin for %s %s is allowed, without credentials', async (path, method) => {
  const res = await preflight(path, APP, method).expect(204);
  expect(res.headers['access-control-allow-origin']).toBe(APP);
  expect(res.headers['access-control-allow-methods']).toContain(method);
  expect(res.headers['access-control-allow-headers']).toBe('authorization, content-type, x-courier-ua, x-courier-client-key');
  expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
  expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  expect(res.headers.vary).toContain('Origin');
});

it('The actual request from a listed origin carries Access-Control-Allow-Origin and exposes X-Request-Id', async () => {
  const res = await request(t.app).put('/users/u1/tokens/cors-token').set('Origin', APP).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  expect(res.headers['access-control-allow-origin']).toBe(APP);
  expect(res.headers['access-control-expose-headers']).toContain('X-Request-Id');
});

it('An origin that is not listed gets no Access-Control-Allow-Origin', async () => {
  const res = await preflight('/users/u1/tokens/t1', 'https://evil.example.com');
  expect(res.headers['access-control-allow-origin']).toBeUndefined();
  const actual = await request(t.app).get('/users/u1/tokens').set('Origin', 'https://evil.example.com').set(bearer(KEY_A));
  expect(actual.headers['access-control-allow-origin']).toBeUndefined();
});

it.each(['/auth/issue-token', '/send', '/metrics', '/healthz'])('%s never answers cross-origin', async (path) => {
  const res = await preflight(path, APP, 'POST');
  expect(res.headers['access-control-allow-origin']).toBeUndefined();
  expect(res.status).not.toBe(204);
});

it('CORS is off by default, and * allows any origin', async () => {
  const off = await createTestApp();
  expect((await request(off.app).options('/users/u1/tokens/t1').set('Origin', APP).set('Access-Control-Request-Method', 'PUT')).headers['access-control-allow-origin']).toBeUndefined();
  await off.close();
  const any = await createTestApp({ corsOrigins: '*' });
  expect((await request(any.app).options('/users/u1/tokens/t1').set('Origin', 'https://anything.example').set('Access-Control-Request-Method', 'PUT')).headers['access-control-allow-origin']).toBe('*');
  await any.close();
});

it('CORS_ORIGINS takes * or origins, and refuses paths or trailing slashes', () => {
  const parse = (value: string) => loadConfig({ API_KEYS: TEST_API_KEYS, CORS_ORIGINS: value }).corsOrigins;
  expect(parse('*')).toBe('*');
  expect(parse('https://a.example.com, http://localhost:5173')).toEqual(['https://a.example.com', 'http://localhost:5173']);
  expect(() => parse('https://a.example.com/')).toThrow(/CORS_ORIGINS/);
  expect(() => parse('a.example.com')).toThrow(/CORS_ORIGINS/);
});
