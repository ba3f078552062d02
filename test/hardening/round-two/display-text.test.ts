import request from 'supertest';
import { bearer, createTestApp, KEY_A, type TestApp } from '../../support/test-app';

/**
 * Issue 18, smaller holes: display fields (a device's name and model, status_reason, …) refuse
 * control and bidi characters, as ids do; ids refuse being blank or only invisible characters.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const BAD_TEXT: [string, string][] = [
  ['NUL', 'phone\u0000'],
  ['ESC (a terminal escape)', '\u001b[31mred'],
  ['right-to-left override U+202E', 'Mom\u202eenohp'],
  ['left-to-right isolate U+2066', 'a\u2066b'],
  ['right-to-left mark U+200F', 'x\u200f'],
  ['line separator U+2028', 'one\u2028two'],
];

describe('display fields', () => {
  it.each(BAD_TEXT)('a Flameup device_name with %s is a 400 naming device_name', async (_name, text) => {
    const res = await request(t.app).post('/api/v1/people/p1/devices').set(bearer(KEY_A)).send({ token: 'flame-1', platform: 'ios', device_name: text }).expect(400);
    expect(res.body.errors[0].path).toBe('device_name');
  });

  it.each(BAD_TEXT)('a Courier device.model with %s is a 400 naming device.model', async (_name, text) => {
    const res = await request(t.app).put('/users/u1/tokens/ct-1').set(bearer(KEY_A)).send({ provider_key: 'apn', device: { model: text } }).expect(400);
    expect(res.body.errors[0].path).toBe('device.model');
  });

  it.each(BAD_TEXT)('a status_reason patched with %s is a 400, and the token is unchanged', async (_name, text) => {
    await request(t.app).put('/users/u1/tokens/ct-2').set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    const res = await request(t.app).patch('/users/u1/tokens/ct-2').set(bearer(KEY_A)).send({ patch: [{ op: 'replace', path: '/status_reason', value: text }] }).expect(400);
    expect(res.body.errors[0].path).toBe('status_reason');
    expect((await request(t.app).get('/users/u1/tokens/ct-2').set(bearer(KEY_A)).expect(200)).body.status_reason).toBeNull();
  });

  it('emoji with joiners and variation selectors, accents and other scripts stay allowed', async () => {
    const name = 'Maman’s 👩‍👧 iPhone ❤️ — Ünïcødé 日本';
    await request(t.app).post('/api/v1/people/p1/devices').set(bearer(KEY_A)).send({ token: 'flame-ok', platform: 'ios', device_name: name }).expect(201);
  });
});

describe('ids', () => {
  it.each([
    ['a space only', ' '],
    ['spaces and a tab', '  \t '],
    ['the Hangul filler U+3164', '\u3164'],
    ['the braille blank U+2800', '\u2800\u2800'],
    ['an ideographic space U+3000', '\u3000'],
    ['a no-break space U+00A0', '\u00a0'],
  ])('an id that is %s is a 400 naming user_id / person_id', async (_name, id) => {
    const res = await request(t.app).put(`/users/${encodeURIComponent(id)}/tokens/id-token`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(400);
    expect(res.body.errors[0].path).toBe('user_id');
    const device = await request(t.app).get(`/api/v1/people/${encodeURIComponent(id)}/devices`).set(bearer(KEY_A)).expect(400);
    expect(device.body.errors[0].path).toBe('person_id');
    const issued = await request(t.app).post('/auth/issue-token').set(bearer(KEY_A)).send({ scope: `user_id:${id} read:user-tokens`, expires_in: '1h' });
    expect(issued.status).toBe(400);
  });

  it('ids with spaces inside, or a filler beside visible text, are still ids', async () => {
    await request(t.app).put(`/users/${encodeURIComponent('Jane Doe')}/tokens/id-token-2`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  });
});
