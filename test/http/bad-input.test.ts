import request from 'supertest';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const put = (token: string, body: unknown) =>
  request(t.app).put(`/users/u/tokens/${encodeURIComponent(token)}`).set(bearer(KEY_A)).send(body as object);
const paths = (res: { body: { errors?: { path: string }[] } }) => (res.body.errors ?? []).map((e) => e.path);

describe('bad input to PUT /users/:user_id/tokens/:token', () => {
  const table: [string, unknown, string[]][] = [
    ['no provider_key', {}, ['provider_key']],
    ['an unknown provider_key', { provider_key: 'pigeon' }, ['provider_key']],
    ['an unknown top-level field', { provider_key: 'apn', colour: 'red' }, ['colour']],
    ['an unknown device field', { provider_key: 'apn', device: { colour: 'red' } }, ['device.colour']],
    ['an unknown tracking field', { provider_key: 'apn', tracking: { altitude: '1' } }, ['tracking.altitude']],
    ['a numeric device field', { provider_key: 'apn', device: { model: 13 } }, ['device.model']],
    ['properties that are not an object', { provider_key: 'apn', properties: [1] }, ['properties']],
    ['a $ key in properties', { provider_key: 'apn', properties: { $where: 'sleep(1000)' } }, ['properties.$where']],
    ['a nested $ne in properties', { provider_key: 'apn', properties: { a: { b: { $ne: null } } } }, ['properties.a.b.$ne']],
    ['a dotted key in properties', { provider_key: 'apn', properties: { 'a.b': 1 } }, ['properties.a.b']],
    ['a constructor key in properties', { provider_key: 'apn', properties: { constructor: { prototype: 1 } } }, ['properties.constructor']],
    // expiry_date: true is valid: Courier's request types allow it, meaning the default expiry.
    ['expiry_date a number', { provider_key: 'apn', expiry_date: 1893456000 }, ['expiry_date']],
    ['expiry_date not a date', { provider_key: 'apn', expiry_date: 'next tuesday' }, ['expiry_date']],
    ['a body token that differs from the URL', { provider_key: 'apn', token: 'other' }, ['token']],
    ['several problems at once', { provider_key: 'x', device: 'y', extra: 1 }, ['provider_key', 'device', 'extra']],
  ];
  it.each(table)('When the body has %s, then it is a 400 naming the field', async (_name, body, fields) => {
    const res = await put('bad-input-token', body).expect(400);
    expect(res.body.type).toBe('invalid_request_error');
    expect(typeof res.body.message).toBe('string');
    expect(paths(res).sort()).toEqual([...fields].sort());
    expect(await t.model.countDocuments({})).toBe(0);
  });

  it('When __proto__ is a key in properties, then it is a 400 and Object.prototype is untouched', async () => {
    const res = await request(t.app)
      .put('/users/u/tokens/proto')
      .set(bearer(KEY_A))
      .set('Content-Type', 'application/json')
      .send('{"provider_key":"apn","properties":{"__proto__":{"polluted":true}}}')
      .expect(400);
    expect(paths(res)).toEqual(['properties.__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('When properties nest too deep, then it is a 400 rather than a crash', async () => {
    let nested: unknown = 1;
    for (let i = 0; i < 500; i++) nested = { a: nested };
    const res = await put('deep', { provider_key: 'apn', properties: nested }).expect(400);
    expect(paths(res)[0]).toMatch(/^properties(\.a)+$/);
  });

  const tokenTable: [string, string][] = [
    ['a slash', 'a/b'],
    ['only dots', '..'],
    ['a single dot', '.'],
    ['a ../ path', '../../etc/passwd'],
    ['a space', 'a b'],
    ['a percent sign', '100%'],
    ['4097 characters', 'x'.repeat(4097)],
  ];
  it.each(tokenTable)('When the token has %s, then it is a 400 naming token', async (_name, token) => {
    const res = await put(token, { provider_key: 'apn' });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['token']);
  });

  it('When the token is exactly 4096 characters, then it is accepted', async () => {
    const token = 'y'.repeat(4096);
    await put(token, { provider_key: 'apn' }).expect(204);
    await t.model.deleteMany({});
  });

  it('When the path has broken percent-encoding, then it is a 400', async () => {
    const res = await request(t.app).put('/users/u/tokens/%E0%A4%A').set(bearer(KEY_A)).send({ provider_key: 'apn' });
    expect(res.status).toBe(400);
  });

  it('When the JSON is malformed, then it is a 400 naming body', async () => {
    const res = await request(t.app).put('/users/u/tokens/t1').set(bearer(KEY_A)).set('Content-Type', 'application/json').send('{"provider_key":').expect(400);
    expect(paths(res)).toEqual(['body']);
  });

  it('When the Content-Type is not JSON, then it is a 400 naming Content-Type', async () => {
    const res = await request(t.app).put('/users/u/tokens/t1').set(bearer(KEY_A)).set('Content-Type', 'text/plain').send('provider_key=apn').expect(400);
    expect(paths(res)).toEqual(['Content-Type']);
  });

  it('When the body is over 64 KB, then it is a 413', async () => {
    const res = await put('t1', { provider_key: 'apn', properties: { blob: 'x'.repeat(70 * 1024) } }).expect(413);
    expect(res.body.type).toBe('invalid_request_error');
  });

  it('When the body is not valid UTF-8, then it is a 400', async () => {
    const bytes = Buffer.concat([Buffer.from('{"provider_key":"apn","properties":{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
    const res = await request(t.app).put('/users/u/tokens/t1').set(bearer(KEY_A)).set('Content-Type', 'application/json').serialize(() => bytes as unknown as string).send('x').expect(400);
    expect(paths(res)).toEqual(['body']);
  });

  it('When the body is missing, then it is a 400 naming provider_key', async () => {
    const res = await request(t.app).put('/users/u/tokens/t1').set(bearer(KEY_A)).expect(400);
    expect(paths(res)).toEqual(['provider_key']);
  });

  it('When nothing bad was accepted, then the collection is still empty', async () => {
    expect(await t.model.countDocuments({})).toBe(0);
  });
});
