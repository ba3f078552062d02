import request from 'supertest';
import { createECDH, randomBytes } from 'node:crypto';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';
import { generateVapidKeys } from '../../src/providers/webpush-vapid';
import { createLogger } from '../../src/logger';
import { Writable } from 'node:stream';

/**
 * Registering Web Push subscriptions: Courier's PUT (the endpoint URL-encoded in the path),
 * bulk PUT and Flameup's Devices API (platform web), with every rule a 400 naming its field,
 * the keys shown only to callers with tokens:read, and the allowlist and address checks of an
 * SSRF boundary under the default settings.
 */
const SEND_ONLY = 'sk_webpush_send_only';
const DEVICES_ONLY = 'sk_webpush_devices_only';
const lines: string[] = [];
let t: TestApp;
beforeAll(async () => {
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  t = await createTestApp({ apiKeys: `ws_a:${KEY_A},ws_a:${SEND_ONLY}=send,ws_a:${DEVICES_ONLY}=devices:read+devices:write`, logger: createLogger('info', sink) });
});
afterAll(async () => {
  await t.close();
});

function subscription(host = 'fcm.googleapis.com') {
  const browser = createECDH('prime256v1');
  browser.generateKeys();
  return {
    endpoint: `https://${host}/fcm/send/${randomBytes(8).toString('hex')}:APA91b${randomBytes(20).toString('base64url')}`,
    keys: { p256dh: browser.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
  };
}
const tokenPath = (user: string, token: string) => `/users/${encodeURIComponent(user)}/tokens/${encodeURIComponent(token)}`;
const put = (user: string, token: string, body: object, key = KEY_A) => request(t.app).put(tokenPath(user, token)).set(bearer(key)).send(body);
const problems = (res: request.Response) => JSON.stringify(res.body);

describe("Courier's PUT /users/:user_id/tokens/:token", () => {
  it('stores a subscription: the endpoint is the token, the keys come back in GET for tokens:read', async () => {
    const s = subscription();
    await put('wp-1', s.endpoint, { provider_key: 'webpush', keys: s.keys, device: { platform: 'web' } }).expect(204);
    const got = (await request(t.app).get(tokenPath('wp-1', s.endpoint)).set(bearer(KEY_A)).expect(200)).body;
    expect(got).toMatchObject({ token: s.endpoint, provider_key: 'webpush', status: 'active', keys: s.keys });
    const stored = await t.model.findOne({ token: s.endpoint }).lean().exec();
    expect(stored!.keys).toEqual(s.keys);
  });

  it('PATCH keeps the keys and may not change them; a PUT replaces them', async () => {
    const s = subscription();
    await put('wp-2', s.endpoint, { provider_key: 'webpush', keys: s.keys }).expect(204);
    await request(t.app).patch(tokenPath('wp-2', s.endpoint)).set(bearer(KEY_A)).send({ patch: [{ op: 'replace', path: '/properties', value: { a: 1 } }] }).expect(204);
    expect((await t.model.findOne({ token: s.endpoint }).lean().exec())!.keys).toEqual(s.keys);
    const refused = await request(t.app).patch(tokenPath('wp-2', s.endpoint)).set(bearer(KEY_A)).send({ patch: [{ op: 'replace', path: '/keys/auth', value: 'x' }] }).expect(400);
    expect(problems(refused)).toContain('can not be changed');
    const renewed = subscription();
    await put('wp-2', s.endpoint, { provider_key: 'webpush', keys: renewed.keys }).expect(204);
    expect((await t.model.findOne({ token: s.endpoint }).lean().exec())!.keys).toEqual(renewed.keys);
  });

  it.each<[string, (s: ReturnType<typeof subscription>) => { token: string; body: object }, string, RegExp]>([
    ['keys missing for webpush', (s) => ({ token: s.endpoint, body: { provider_key: 'webpush' } }), 'keys', /required for webpush/],
    ['keys for another provider', (s) => ({ token: 'abcdef0123', body: { provider_key: 'firebase-fcm', keys: s.keys } }), 'keys', /only for webpush/],
    ['p256dh of 64 bytes', (s) => ({ token: s.endpoint, body: { provider_key: 'webpush', keys: { ...s.keys, p256dh: Buffer.alloc(64, 4).toString('base64url') } } }), 'keys.p256dh', /65 bytes/],
    ['p256dh not on the curve', (s) => ({ token: s.endpoint, body: { provider_key: 'webpush', keys: { ...s.keys, p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url') } } }), 'keys.p256dh', /point on P-256/],
    ['p256dh not base64url', (s) => ({ token: s.endpoint, body: { provider_key: 'webpush', keys: { ...s.keys, p256dh: 'a+b/c' } } }), 'keys.p256dh', /base64url/],
    ['auth of 12 bytes', (s) => ({ token: s.endpoint, body: { provider_key: 'webpush', keys: { ...s.keys, auth: randomBytes(12).toString('base64url') } } }), 'keys.auth', /16 bytes/],
    ['an unknown key field', (s) => ({ token: s.endpoint, body: { provider_key: 'webpush', keys: { ...s.keys, extra: 1 } } }), 'keys.extra', /not a known field/],
    ['an endpoint that is not https', (s) => ({ token: s.endpoint.replace('https:', 'http:'), body: { provider_key: 'webpush', keys: s.keys } }), 'token', /Web Push endpoint|A-Z/],
    ['an endpoint off the allowlist', (s) => ({ token: s.endpoint.replace('fcm.googleapis.com', 'push.example.com'), body: { provider_key: 'webpush', keys: s.keys } }), 'token', /WEBPUSH_ALLOWED_HOSTS/],
    ['an endpoint on a loopback address', (s) => ({ token: 'https://127.0.0.1:8443/push/x', body: { provider_key: 'webpush', keys: s.keys } }), 'token', /WEBPUSH_ALLOWED_HOSTS/],
    ['an endpoint on localhost', (s) => ({ token: 'https://localhost/push/x', body: { provider_key: 'webpush', keys: s.keys } }), 'token', /WEBPUSH_ALLOWED_HOSTS/],
    ['the metadata address', (s) => ({ token: 'https://169.254.169.254/latest', body: { provider_key: 'webpush', keys: s.keys } }), 'token', /WEBPUSH_ALLOWED_HOSTS/],
    ['an endpoint not written as a browser writes it', () => ({ token: 'https://FCM.googleapis.com/fcm/send/x', body: { provider_key: 'webpush', keys: subscription().keys } }), 'token', /as a browser writes it/],
    ['an endpoint token for FCM', (s) => ({ token: s.endpoint, body: { provider_key: 'firebase-fcm' } }), 'token', /only webpush tokens/],
  ])('%s is a 400 naming %s, and nothing is stored', async (_name, make, field, message) => {
    const s = subscription();
    const { token, body } = make(s);
    const res = await put('wp-bad', token, body).expect(400);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining(field), message: expect.stringMatching(message) })]));
    expect(problems(res)).not.toContain(s.keys.auth);
    expect(await t.model.countDocuments({ user_id: 'wp-bad' })).toBe(0);
  });

  it('bulk PUT takes subscriptions with their keys, all-or-nothing', async () => {
    const [a, b] = [subscription(), subscription('web.push.apple.com')];
    const bad = await request(t.app).put('/users/wp-bulk/tokens').set(bearer(KEY_A)).send({ tokens: [{ token: a.endpoint, provider_key: 'webpush', keys: a.keys }, { token: b.endpoint, provider_key: 'webpush' }] }).expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: 'tokens[1].keys' })]);
    expect(await t.model.countDocuments({ user_id: 'wp-bulk' })).toBe(0);
    await request(t.app).put('/users/wp-bulk/tokens').set(bearer(KEY_A)).send({ tokens: [{ token: a.endpoint, provider_key: 'webpush', keys: a.keys }, { token: b.endpoint, provider_key: 'webpush', keys: b.keys }] }).expect(204);
    const list = (await request(t.app).get('/users/wp-bulk/tokens').set(bearer(KEY_A)).expect(200)).body.tokens;
    expect(list.map((x: { keys: unknown }) => x.keys)).toEqual([a.keys, b.keys]);
  });

  it('a user token registers its own subscription, as a page does', async () => {
    const s = subscription('updates.push.services.mozilla.com');
    const issued = (await request(t.app).post('/auth/issue-token').set(bearer(KEY_A)).send({ scope: 'user_id:page-user write:user-tokens read:user-tokens' }).expect(200)).body;
    await put('page-user', s.endpoint, { provider_key: 'webpush', keys: s.keys }, issued.token).expect(204);
    expect((await request(t.app).get(tokenPath('page-user', s.endpoint)).set(bearer(issued.token)).expect(200)).body.keys).toEqual(s.keys);
  });

  it('the keys and the endpoint never reach a log line; a send-only key never sees them', async () => {
    const s = subscription();
    await put('wp-log', s.endpoint, { provider_key: 'webpush', keys: s.keys }).expect(204);
    await put('wp-log', s.endpoint, { provider_key: 'webpush', keys: { ...s.keys, auth: 'short' } }).expect(400);
    const report = (await request(t.app).post('/send').set(bearer(SEND_ONLY)).send({ message: { to: { user_id: 'wp-log' }, content: { title: 'T' } } }).expect(200)).body;
    const text = JSON.stringify(report);
    expect(text).not.toContain(s.keys.auth);
    expect(text).not.toContain(s.keys.p256dh);
    const log = lines.join('');
    expect(log).not.toContain(s.keys.auth);
    expect(log).not.toContain(s.keys.p256dh);
    expect(log).not.toContain(s.endpoint.split('/').at(-1)!);
    expect(log).not.toContain(encodeURIComponent(s.endpoint.split('/').at(-1)!));
  });
});

describe("Flameup's Devices API", () => {
  const devices = (person: string) => `/api/v1/people/${person}/devices`;
  it('platform web with keys registers a webpush token; the keys show only with tokens:read', async () => {
    const s = subscription();
    const created = (await request(t.app).post(devices('dev-1')).set(bearer(KEY_A)).send({ token: s.endpoint, platform: 'web', keys: s.keys, device_name: 'Firefox on Linux' }).expect(201)).body;
    expect(created).toMatchObject({ device_token: s.endpoint, platform: 'web', keys: s.keys });
    expect((await t.model.findOne({ token: s.endpoint }).lean().exec())!.provider_key).toBe('webpush');
    const listed = (await request(t.app).get(devices('dev-1')).set(bearer(DEVICES_ONLY)).expect(200)).body.devices;
    expect(listed[0].device_token).toBe(s.endpoint);
    expect(listed[0]).not.toHaveProperty('keys');
    // Registering again with new keys (the browser subscribed again) updates them.
    const renewed = subscription();
    await request(t.app).post(devices('dev-1')).set(bearer(KEY_A)).send({ token: s.endpoint, platform: 'web', keys: renewed.keys }).expect(200);
    expect((await t.model.findOne({ token: s.endpoint }).lean().exec())!.keys).toEqual(renewed.keys);
  });

  it('keys on another platform, an endpoint without keys, or an endpoint off the allowlist are 400s naming the field', async () => {
    const s = subscription();
    expect(problems(await request(t.app).post(devices('dev-2')).set(bearer(KEY_A)).send({ token: s.endpoint, platform: 'ios', keys: s.keys }).expect(400))).toContain('only for platform web');
    expect(problems(await request(t.app).post(devices('dev-2')).set(bearer(KEY_A)).send({ token: s.endpoint, platform: 'web' }).expect(400))).toMatch(/only webpush tokens/);
    expect(problems(await request(t.app).post(devices('dev-2')).set(bearer(KEY_A)).send({ token: 'https://localhost/x', platform: 'web', keys: s.keys }).expect(400))).toMatch(/WEBPUSH_ALLOWED_HOSTS/);
    expect(await t.model.countDocuments({ user_id: 'dev-2' })).toBe(0);
  });
});

describe('GET /webpush/public-key', () => {
  it('answers the app’s key, the default app’s, or a 404; for a user token too', async () => {
    expect((await request(t.app).get('/webpush/public-key').set(bearer(KEY_A)).expect(404)).body.message).toMatch(/No VAPID key/);
    const pair = generateVapidKeys();
    const fallback = generateVapidKeys();
    await request(t.app).put('/credentials/vapid-app').set(bearer(KEY_A)).send({ provider_key: 'webpush', vapid_public_key: pair.publicKey, vapid_private_key: pair.privateKey, subject: 'mailto:a@example.com' }).expect(201);
    await request(t.app).put('/credentials/vapid-default').set(bearer(KEY_A)).send({ provider_key: 'webpush', vapid_public_key: fallback.publicKey, vapid_private_key: fallback.privateKey, subject: 'https://example.com' }).expect(201);
    await request(t.app).put('/apps/web.example').set(bearer(KEY_A)).send({ webpush: { credential_id: 'vapid-app' } }).expect(201);
    await request(t.app).put('/apps/default').set(bearer(KEY_A)).send({ webpush: { credential_id: 'vapid-default' } }).expect(201);
    const issued = (await request(t.app).post('/auth/issue-token').set(bearer(KEY_A)).send({ scope: 'user_id:someone write:user-tokens' }).expect(200)).body;
    expect((await request(t.app).get('/webpush/public-key?app_id=web.example').set(bearer(issued.token)).expect(200)).body).toEqual({ public_key: pair.publicKey, app_id: 'web.example', credential_id: 'vapid-app' });
    expect((await request(t.app).get('/webpush/public-key?app_id=other.app').set(bearer(KEY_A)).expect(200)).body).toEqual({ public_key: fallback.publicKey, app_id: 'default', credential_id: 'vapid-default' });
    await request(t.app).get('/webpush/public-key').expect(401);
    expect(problems(await request(t.app).get('/webpush/public-key?app_id=a%20b').set(bearer(KEY_A)).expect(400))).toContain('app_id');
  });

  it('a webpush credential is sealed: answers show the public key and a fingerprint, never the private key; a mismatched pair is a 400', async () => {
    const pair = generateVapidKeys();
    const other = generateVapidKeys();
    const view = (await request(t.app).put('/credentials/vapid-2').set(bearer(KEY_A)).send({ provider_key: 'webpush', vapid_public_key: pair.publicKey, vapid_private_key: pair.privateKey, subject: 'mailto:a@example.com' }).expect(201)).body;
    expect(view).toMatchObject({ provider_key: 'webpush', vapid_public_key: pair.publicKey, subject: 'mailto:a@example.com', key_sha256: expect.any(String) });
    expect(JSON.stringify(view)).not.toContain(pair.privateKey);
    expect(JSON.stringify(await t.connection.db!.collection('credentials').find().toArray())).not.toContain(pair.privateKey);
    const bad = await request(t.app).put('/credentials/vapid-3').set(bearer(KEY_A)).send({ provider_key: 'webpush', vapid_public_key: other.publicKey, vapid_private_key: pair.privateKey, subject: 'mailto:a@example.com' }).expect(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: 'vapid_public_key', message: 'is not the public key of this private key' })]);
    expect(JSON.stringify(bad.body)).not.toContain(pair.privateKey);
  });
});
