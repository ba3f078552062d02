import request from 'supertest';
import { MAX_TOKEN_JSON_BYTES } from '../../src/tokens/token-fields';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

/**
 * Issue 13, findings 1, 2 and 6: a PATCH of a few kilobytes must not grow a token without
 * bound (each `copy` doubles what it copies), block the process, or crash it.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const path = (token: string) => `/users/amplify/tokens/${token}`;
const copies = (n: number) => Array.from({ length: n }, (_, i) => ({ op: 'copy', from: '/properties', path: `/properties/k${i}` }));

async function storedBytes(token: string): Promise<number> {
  const res = await request(t.app).get(path(token)).set(bearer(KEY_A)).expect(200);
  return Buffer.byteLength(JSON.stringify(res.body));
}

describe('Finding 1: 27 doubling copies (1.8 KB) no longer exhaust memory', () => {
  it('When a PATCH copies /properties into itself 27 times, then it is a 400 naming the operation that passes the bound, and nothing is written', async () => {
    await request(t.app).put(path('double-27')).set(bearer(KEY_A)).send({ provider_key: 'apn', properties: { a: 'x' } }).expect(204);
    const before = (await request(t.app).get(path('double-27')).set(bearer(KEY_A))).body;
    const body = { patch: copies(27) };
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(2_000);
    const res = await request(t.app).patch(path('double-27')).set(bearer(KEY_A)).send(body).expect(400);
    expect(res.body.errors).toEqual([{ path: expect.stringMatching(/^patch\[\d+\]\.from$/), message: `would make the token larger than ${MAX_TOKEN_JSON_BYTES} bytes of JSON` }]);
    expect((await request(t.app).get(path('double-27')).set(bearer(KEY_A))).body).toEqual(before);
  });
});

describe('Finding 2: no token can be grown past the bound, so GET and list stay small and BSON never overflows', () => {
  it('When a 60 KB property is copied, then the copy is refused and the stored token stays under the bound', async () => {
    await request(t.app)
      .put(path('big-prop'))
      .set(bearer(KEY_A))
      .send({ provider_key: 'apn', properties: { blob: 'b'.repeat(60_000) } })
      .expect(204);
    const res = await request(t.app)
      .patch(path('big-prop'))
      .set(bearer(KEY_A))
      .send({ patch: [{ op: 'copy', from: '/properties/blob', path: '/properties/again' }] })
      .expect(400);
    expect(res.body.errors[0].path).toBe('patch[0].from');
    for (let i = 0; i < 8; i++) {
      await request(t.app).patch(path('big-prop')).set(bearer(KEY_A)).send({ patch: copies(1) }).expect(400);
    }
    expect(await storedBytes('big-prop')).toBeLessThanOrEqual(MAX_TOKEN_JSON_BYTES);
    const list = await request(t.app).get('/users/amplify/tokens').set(bearer(KEY_A)).expect(200);
    expect(Buffer.byteLength(JSON.stringify(list.body))).toBeLessThan(2 * MAX_TOKEN_JSON_BYTES);
  });

  it('When small additions approach the bound, then they land until the next one would pass it', async () => {
    await request(t.app).put(path('grow')).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    const chunk = 'c'.repeat(20_000);
    let answered = 204;
    let added = 0;
    while (answered === 204 && added < 10) {
      answered = (await request(t.app).patch(path('grow')).set(bearer(KEY_A)).send({ patch: [{ op: 'add', path: `/properties/p${added}`, value: chunk }] })).status;
      if (answered === 204) added++;
    }
    expect(answered).toBe(400);
    expect(added).toBe(4); // 4 × 20 KB fits in 96 KiB; a fifth does not
    expect(await storedBytes('grow')).toBeLessThanOrEqual(MAX_TOKEN_JSON_BYTES);
  });
});

describe('Finding 6: a 5,000-deep value in a PATCH is a 400, not a stack overflow', () => {
  it.each(['add', 'replace', 'test'])('When %s carries a 5,000-deep value, then it is a 400 naming patch[0].value', async (op) => {
    await request(t.app).put(path('deep')).set(bearer(KEY_A)).send({ provider_key: 'apn', properties: { x: 1 } }).expect(204);
    const deep = `${'{"d":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    const body = `{"patch":[{"op":"${op}","path":"/properties/x","value":${deep}}]}`;
    const res = await request(t.app).patch(path('deep')).set(bearer(KEY_A)).set('Content-Type', 'application/json').send(body).expect(400);
    expect(res.body.errors).toEqual([{ path: 'patch[0].value', message: 'nesting must be at most 21 levels deep' }]);
  });
});
