import request from 'supertest';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ apiKeys: `ws_a:${KEY_A},ws_a:sk_readonly_0123=tokens:read` });
});
afterAll(async () => {
  await t.close();
});

describe('authentication', () => {
  const requests = [
    ['PUT', '/users/u/tokens/t'],
    ['PUT', '/users/u/tokens'],
    ['GET', '/users/u/tokens/t'],
    ['GET', '/users/u/tokens'],
    ['PATCH', '/users/u/tokens/t'],
    ['DELETE', '/users/u/tokens/t'],
  ] as const;

  it.each(requests)('When %s %s has no key, then it is a 401 with WWW-Authenticate', async (method, url) => {
    const res = await request(t.app)[method.toLowerCase() as 'get'](url).expect(401);
    expect(res.body.type).toBe('authentication_error');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it.each([
    ['an unknown key', 'Bearer sk_unknown_0123456789'],
    ['a prefix of a real key', `Bearer ${KEY_A.slice(0, -1)}`],
    ['the key without Bearer', KEY_A],
    ['Basic auth', `Basic ${Buffer.from(`x:${KEY_A}`).toString('base64')}`],
  ])('When the request carries %s, then it is a 401', async (_name, header) => {
    await request(t.app).get('/users/u/tokens').set('Authorization', header).expect(401);
  });

  it('When a key lacks the scope, then it is a 403 naming the scope', async () => {
    await request(t.app).get('/users/u/tokens').set(bearer('sk_readonly_0123')).expect(200);
    const res = await request(t.app).put('/users/u/tokens/t').set(bearer('sk_readonly_0123')).send({ provider_key: 'apn' }).expect(403);
    expect(res.body).toMatchObject({ type: 'permission_error', missing_scope: 'tokens:write' });
    expect(await t.model.countDocuments({})).toBe(0);
  });

  it('When the response is sent, then it carries an X-Request-Id and the caller’s own is echoed', async () => {
    const res = await request(t.app).get('/users/u/tokens').set(bearer(KEY_A)).set('X-Request-Id', 'abc-123').expect(200);
    expect(res.headers['x-request-id']).toBe('abc-123');
    const generated = await request(t.app).get('/users/u/tokens').set(bearer(KEY_A)).expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('When a route does not exist, then it is a 404 in the error format', async () => {
    const res = await request(t.app).get('/nope').set(bearer(KEY_A)).expect(404);
    expect(res.body.type).toBe('not_found_error');
  });
});
