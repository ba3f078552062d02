import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

/** Issue 13, finding 10: encodings, `limit` parsing, and invisible characters in ids. */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const put = () => request(t.app).put('/users/enc/tokens/enc-token').set(bearer(KEY_A)).set('Content-Type', 'application/json');

describe('Content-Encoding', () => {
  it('When a gzip body is valid, then it is accepted', async () => {
    // serialize: superagent would otherwise re-encode a Buffer sent as application/json.
    const gzipped = gzipSync(JSON.stringify({ provider_key: 'apn' }));
    await put().set('Content-Encoding', 'gzip').serialize(() => gzipped as unknown as string).send({}).expect(204);
  });

  it.each(['gzip', 'deflate', 'br'])('When a %s body is not %s, then it is a 400 naming Content-Encoding, without zlib’s words', async (encoding) => {
    const res = await put().set('Content-Encoding', encoding).send('this is not compressed').expect(400);
    expect(res.body.errors).toEqual([{ path: 'Content-Encoding', message: 'does not match the body: it could not be decompressed' }]);
    expect(JSON.stringify(res.body)).not.toMatch(/incorrect header check|Decompression failed|Z_DATA_ERROR/);
  });

  it('When the encoding is unsupported, then it is a 415 naming Content-Encoding', async () => {
    const res = await put().set('Content-Encoding', 'compress').send('{}').expect(415);
    expect(res.body.errors).toEqual([{ path: 'Content-Encoding', message: 'must be gzip, deflate, br or identity' }]);
  });

  it('When the charset is unsupported, then it is a 415 naming Content-Type', async () => {
    const res = await request(t.app).put('/users/enc/tokens/enc-token').set(bearer(KEY_A)).set('Content-Type', 'application/json; charset=koi8-r').send('{}').expect(415);
    expect(res.body.errors[0].path).toBe('Content-Type');
  });
});

describe('limit and offset take plain decimal digits only', () => {
  it.each(['1e2', '0x10', ' 100', '+5', '5.0', '-1', '0', '101', 'ten'])('limit=%j is a 400 naming limit', async (limit) => {
    const res = await request(t.app).get(`/users/enc/tokens?limit=${encodeURIComponent(limit)}`).set(bearer(KEY_A)).expect(400);
    expect(res.body.errors[0].path).toBe('limit');
  });

  it.each([['', 50], ['1', 1], ['100', 100], ['007', 7]])('limit=%j is accepted', async (limit) => {
    await request(t.app).get(`/users/enc/tokens?limit=${limit}`).set(bearer(KEY_A)).expect(200);
  });

  it('An empty offset= is the default, and 1e1 is refused', async () => {
    await request(t.app).get('/api/v1/people/enc/devices?offset=&limit=').set(bearer(KEY_A)).expect(200);
    const res = await request(t.app).get('/api/v1/people/enc/devices?offset=1e1').set(bearer(KEY_A)).expect(400);
    expect(res.body.errors[0].path).toBe('offset');
  });
});

describe('user and person ids', () => {
  it.each([
    ['right-to-left override U+202E', 'admin\u202etxt'],
    ['zero-width space U+200B', 'alice\u200b'],
    ['zero-width joiner U+200D', 'a\u200db'],
    ['byte order mark U+FEFF', '\ufeffbob'],
    ['C1 control U+0085', 'carol\u0085'],
    ['C0 control U+0007', 'dave\u0007'],
    ['line separator U+2028', 'eve\u2028'],
    ['left-to-right isolate U+2066', 'f\u2066g'],
  ])('an id with a %s is a 400 naming user_id', async (_name, id) => {
    const res = await request(t.app).put(`/users/${encodeURIComponent(id)}/tokens/id-token`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(400);
    expect(res.body.errors[0].path).toBe('user_id');
    const device = await request(t.app).get(`/api/v1/people/${encodeURIComponent(id)}/devices`).set(bearer(KEY_A)).expect(400);
    expect(device.body.errors[0].path).toBe('person_id');
  });

  it('ids are byte-exact, not Unicode-normalised: é and e + U+0301 are two users', async () => {
    const composed = 'jos\u00e9';
    const decomposed = 'jose\u0301';
    await request(t.app).put(`/users/${encodeURIComponent(composed)}/tokens/nfc-token`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    await request(t.app).get(`/users/${encodeURIComponent(decomposed)}/tokens/nfc-token`).set(bearer(KEY_A)).expect(404);
    const got = await request(t.app).get(`/users/${encodeURIComponent(composed)}/tokens/nfc-token`).set(bearer(KEY_A)).expect(200);
    expect(got.body.user_id).toBe(composed);
  });
});
