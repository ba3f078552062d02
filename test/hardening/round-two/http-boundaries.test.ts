import net from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { MAX_REQUEST_HEADERS } from '../../../src/http/header-limit';
import { bearer, createTestApp, KEY_A, KEY_B, type TestApp } from '../../support/test-app';

/**
 * Issue 18, findings 3 and 4 and the smaller holes at the HTTP boundary: the header cap that
 * hid a second Authorization, failed authentications counted too late under concurrency,
 * unmatched paths that answered 401, a UTF-16 body accepted, CORS on the bulk PUT, /docs/.
 */
async function raw(app: TestApp, text: string): Promise<string> {
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = app.server.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve, reject) => {
      // write, not end: a client that half-closes first may lose an answer that takes a database round trip.
      const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
  } finally {
    await new Promise((resolve) => app.server.close(resolve));
  }
}

describe('Finding 3: no header is dropped unseen', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });
  // Short names (base 36), so that 1,997 of them stay under Node's 16 KB header limit: the
  // attack must reach the header count, not the size limit (Node 24 counts the bytes as they come).
  const headers = (count: number) => Array.from({ length: count }, (_, i) => `${i.toString(36)}:1\r\n`).join('');

  it('One Authorization, 1,997 filler headers and a second Authorization: a 431, not the first key’s data', async () => {
    const answer = await raw(t, `GET /users/u/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY_A}\r\n${headers(1997)}Authorization: Bearer ${KEY_B}\r\nConnection: close\r\n\r\n`);
    // Refused whole: by the service's bound (Node 20 reads all the headers), or by Node 24's parser, which stops at the server's maxHeadersCount.
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer).toMatch(new RegExp(`(at most|more than) ${MAX_REQUEST_HEADERS} headers`));
    expect(answer).not.toContain('"tokens"');
  });

  it(`${MAX_REQUEST_HEADERS} headers are read; one more is a 431 before authentication`, async () => {
    const fill = MAX_REQUEST_HEADERS - 3; // Host, Authorization and Connection are the other three
    expect(await raw(t, `GET /users/u/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY_A}\r\n${headers(fill)}Connection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 200 /);
    expect(await raw(t, `GET /users/u/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n${headers(fill + 1)}Connection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
  });
});

describe('Finding 4: concurrent failures never pass the limit', () => {
  it.each([
    ['wrong API keys', () => 'sk_wrong_key_0000000000'],
    // A JWT with a known shape makes verification await, the window in which the old count leaked.
    ['forged JWTs', () => `eyJhbGciOiJFUzI1NiIsImtpZCI6Im5vcGUifQ.${Buffer.from('{"scope":"user_id:u read:user-tokens"}').toString('base64url')}.c2lnbmF0dXJl`],
  ])('When 300 %s arrive at once from one address, then at most 30 are answered 401', async (_name, credential) => {
    const app = await createTestApp({ authFailuresPerMinute: 30 });
    try {
      const statuses = await Promise.all(Array.from({ length: 300 }, () => request(app.app).get('/users/u/tokens').set(bearer(credential())).then((r) => r.status)));
      const count = (status: number) => statuses.filter((s) => s === status).length;
      expect(count(401)).toBeLessThanOrEqual(30);
      expect(count(401) + count(429)).toBe(300);
    } finally {
      await app.close();
    }
  });

  it('A valid user token whose first verification awaits gives its reservation back', async () => {
    const app = await createTestApp({ authFailuresPerMinute: 3 });
    try {
      const issued = await request(app.app).post('/auth/issue-token').set(bearer(KEY_A)).send({ scope: 'user_id:u read:user-tokens', expires_in: '1h' }).expect(200);
      for (let i = 0; i < 10; i++) await request(app.app).get('/users/u/tokens').set(bearer(issued.body.token)).expect(200);
      await request(app.app).get('/users/u/tokens').set(bearer(KEY_A)).expect(200);
    } finally {
      await app.close();
    }
  });
});

describe('Smaller holes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ authFailuresPerMinute: 2, corsOrigins: ['https://app.example'] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('An unmatched path is a 404 that needs no key and never counts as a failed authentication', async () => {
    for (const path of ['/favicon.ico', '/console/missing.js', '/nope', '/users', '/USERS/u/tokens']) {
      const res = await request(t.app).get(path).expect(404);
      expect(res.body.type).toBe('not_found_error');
    }
    for (let i = 0; i < 5; i++) await request(t.app).get('/favicon.ico').expect(404);
    await request(t.app).get('/users/u/tokens').set(bearer(KEY_A)).expect(200);
  });

  it.each(['utf-16le', 'utf-16', 'UTF-32', 'latin1'])('Content-Type application/json; charset=%s is a 415 naming Content-Type', async (charset) => {
    const res = await request(t.app).put('/users/enc/tokens/enc-token').set(bearer(KEY_A)).set('Content-Type', `application/json; charset=${charset}`).send('{"provider_key":"apn"}').expect(415);
    expect(res.body.errors[0].path).toBe('Content-Type');
  });

  it('charset=utf-8 (any case, quoted) is accepted', async () => {
    await request(t.app).put('/users/enc/tokens/enc-token').set(bearer(KEY_A)).set('Content-Type', 'application/json; charset="UTF-8"').send('{"provider_key":"apn"}').expect(204);
  });

  it('CORS answers the routes a user token may call, with their methods only: not the bulk PUT', async () => {
    const origin = 'https://app.example';
    const preflight = await request(t.app).options('/users/u/tokens').set('Origin', origin).set('Access-Control-Request-Method', 'PUT').expect(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET');
    const bulk = await request(t.app).put('/users/u/tokens').set('Origin', origin).set(bearer(KEY_A)).send({ tokens: [{ token: 'cors-bulk', provider_key: 'apn' }] }).expect(204);
    expect(bulk.headers['access-control-allow-origin']).toBeUndefined();
    const one = await request(t.app).options('/users/u/tokens/abc').set('Origin', origin).set('Access-Control-Request-Method', 'PUT').expect(204);
    expect(String(one.headers['access-control-allow-methods']).split(', ').sort()).toEqual(['DELETE', 'GET', 'PATCH', 'PUT']);
    const list = await request(t.app).get('/users/u/tokens').set('Origin', origin).set(bearer(KEY_A)).expect(200);
    expect(list.headers['access-control-allow-origin']).toBe(origin);
    const issue = await request(t.app).options('/auth/issue-token').set('Origin', origin).set('Access-Control-Request-Method', 'POST');
    expect(issue.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('/docs/ redirects to /docs, whose relative asset links then resolve', async () => {
    const res = await request(t.app).get('/docs/').expect(301);
    expect(new URL(res.headers.location!, 'http://x/docs/').pathname).toBe('/docs');
    await request(t.app).get('/docs').expect(200);
  });
});
