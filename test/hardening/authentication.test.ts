import net from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { bearer, createTestApp, KEY_A, KEY_B, TEST_API_KEYS, type TestApp } from '../support/test-app';

/** Issue 13, findings 7 (failed authentication was never slowed) and 9 (two Authorization headers: the first won). */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ authFailuresPerMinute: 5 });
});
afterAll(async () => {
  await t.close();
});

describe('Finding 7: failed authentication is limited per client address', () => {
  it('When an address fails authentication more than AUTH_FAILURES_PER_MINUTE times, then it gets 429s, a right key included', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await request(t.app).get('/users/u/tokens').set(bearer(`sk_guess_${i}_0000000`))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const blocked = await request(t.app).get('/users/u/tokens').set(bearer(KEY_A)).expect(429);
    expect(blocked.body.type).toBe('rate_limit_error');
    expect(blocked.headers['retry-after']).toBeDefined();
  });

  it('When requests succeed or are refused for scope, then they do not count as failures', async () => {
    const app = await createTestApp({ authFailuresPerMinute: 2, apiKeys: `ws_a:${KEY_A},ws_a:${KEY_B}=tokens:read` });
    for (let i = 0; i < 10; i++) await request(app.app).get('/users/u/tokens').set(bearer(KEY_A)).expect(200);
    for (let i = 0; i < 10; i++) await request(app.app).put('/users/u/tokens/tok-1').set(bearer(KEY_B)).send({ provider_key: 'apn' }).expect(403);
    await app.close();
  });

  it('TRUST_PROXY takes true, false, a number of hops or a list of proxies, and refuses anything else', () => {
    const parse = (value: string) => loadConfig({ API_KEYS: TEST_API_KEYS, TRUST_PROXY: value }).trustProxy;
    expect(parse('true')).toBe(true);
    expect(parse('false')).toBe(false);
    expect(parse('2')).toBe(2);
    expect(parse('10.0.0.0/8, 192.168.1.1,loopback')).toEqual(['10.0.0.0/8', '192.168.1.1', 'loopback']);
    expect(() => parse('everyone')).toThrow(/TRUST_PROXY/);
  });
});

describe('Finding 9: a request with two Authorization headers is refused', () => {
  it('When two Authorization headers come (a good key first), then it is a 400 naming Authorization', async () => {
    const app = await createTestApp();
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = app.server.address() as AddressInfo;
    const response = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () =>
        socket.end(`GET /users/u/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY_A}\r\nAuthorization: Bearer ${KEY_B}\r\nConnection: close\r\n\r\n`),
      );
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    await new Promise((resolve) => app.server.close(resolve));
    await app.close();
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toContain('"path":"Authorization","message":"must be sent once"');
  });
});

describe('Finding 7, continued: only failures count', () => {
  it('When 200 authenticated requests arrive at once from one address, then none is limited', async () => {
    const app = await createTestApp({ authFailuresPerMinute: 5 });
    const statuses = await Promise.all(Array.from({ length: 200 }, () => request(app.app).get('/users/u/tokens').set(bearer(KEY_A)).then((r) => r.status)));
    expect(new Set(statuses)).toEqual(new Set([200]));
    await app.close();
  });
});
