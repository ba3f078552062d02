import request from 'supertest';
import { bearer, createTestApp, KEY_A, KEY_B, type TestApp } from '../support/test-app';

const FCM_TOKEN = 'dGVzdC1mY20:APA91bH-x_Yz0123456789abcdefABCDEF-_:more_parts-here';
const APNS_TOKEN = 'a'.repeat(32) + '0123456789abcdef0123456789abcdef';
const path = (user: string, token: string) => `/users/${encodeURIComponent(user)}/tokens/${encodeURIComponent(token)}`;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('PUT /users/:user_id/tokens/:token', () => {
  it('When the body is Courier’s own example, then it answers 204 and GET returns every field', async () => {
    const body = {
      provider_key: 'firebase-fcm',
      device: { app_id: 'com.example.app', ad_id: '1234567890', device_id: '1234567890', platform: 'android', manufacturer: 'Samsung', model: 'SM-G930F' },
      tracking: { os_version: '9', ip: '1.2.3.4', lat: '1.2', long: '3.4' },
      expiry_date: '2030-01-01T00:00:00.000Z',
      token: 'ABW7HO9Y7XAQXZ7Y',
    };
    await request(t.app).put(path('user-1234', 'ABW7HO9Y7XAQXZ7Y')).set(bearer(KEY_A)).send(body).expect(204);
    const res = await request(t.app).get(path('user-1234', 'ABW7HO9Y7XAQXZ7Y')).set(bearer(KEY_A)).expect(200);
    expect(res.body).toMatchObject({
      user_id: 'user-1234',
      token: 'ABW7HO9Y7XAQXZ7Y',
      provider_key: 'firebase-fcm',
      status: 'active',
      status_reason: null,
      properties: {},
      device: body.device,
      tracking: body.tracking,
      expiry_date: '2030-01-01T00:00:00.000Z',
      last_used_at: null,
    });
    expect(Date.parse(res.body.created_at)).not.toBeNaN();
    expect(res.body.updated_at).toBe(res.body.created_at);
  });

  it('When no expiry_date is given, then it defaults to about two months from now', async () => {
    await request(t.app).put(path('u-ttl', APNS_TOKEN)).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    const res = await request(t.app).get(path('u-ttl', APNS_TOKEN)).set(bearer(KEY_A)).expect(200);
    const days = (Date.parse(res.body.expiry_date) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(58);
    expect(days).toBeLessThan(63);
  });

  it('When expiry_date is false, then the token never expires and has no expiry_date field in MongoDB', async () => {
    await request(t.app).put(path('u-never', 'never-expires')).set(bearer(KEY_A)).send({ provider_key: 'firebase-fcm', expiry_date: false }).expect(204);
    const res = await request(t.app).get(path('u-never', 'never-expires')).set(bearer(KEY_A)).expect(200);
    expect(res.body.expiry_date).toBe(false);
    const raw = await t.model.collection.findOne({ workspace_id: 'ws_a', token: 'never-expires' });
    expect(raw).not.toBeNull();
    expect(raw).not.toHaveProperty('expiry_date');
  });

  it('When an FCM token with : - _ is URL-encoded in the path, then it round-trips exactly', async () => {
    await request(t.app).put(path('u-fcm', FCM_TOKEN)).set(bearer(KEY_A)).send({ provider_key: 'firebase-fcm' }).expect(204);
    const one = await request(t.app).get(path('u-fcm', FCM_TOKEN)).set(bearer(KEY_A)).expect(200);
    expect(one.body.token).toBe(FCM_TOKEN);
    // Unencoded ':' is legal in a path segment too.
    const raw = await request(t.app).get(`/users/u-fcm/tokens/${FCM_TOKEN}`).set(bearer(KEY_A)).expect(200);
    expect(raw.body.token).toBe(FCM_TOKEN);
    const list = await request(t.app).get('/users/u-fcm/tokens').set(bearer(KEY_A)).expect(200);
    expect(list.body.tokens.map((x: { token: string }) => x.token)).toEqual([FCM_TOKEN]);
  });

  it('When a user id has spaces and slashes, then it round-trips exactly', async () => {
    const user = 'team/a b@example.com';
    await request(t.app).put(path(user, 'user-id-roundtrip')).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    const res = await request(t.app).get(path(user, 'user-id-roundtrip')).set(bearer(KEY_A)).expect(200);
    expect(res.body.user_id).toBe(user);
  });

  it('When the same token is PUT again, then it is fully replaced: fields left out are removed', async () => {
    const p = path('u-replace', 'replace-me');
    await request(t.app)
      .put(p)
      .set(bearer(KEY_A))
      .send({ provider_key: 'apn', properties: { a: 1 }, device: { model: 'iPhone 13' }, tracking: { ip: '1.1.1.1' } })
      .expect(204);
    const first = await request(t.app).get(p).set(bearer(KEY_A)).expect(200);
    await request(t.app).put(p).set(bearer(KEY_A)).send({ provider_key: 'firebase-fcm', properties: { b: 2 } }).expect(204);
    const second = await request(t.app).get(p).set(bearer(KEY_A)).expect(200);
    expect(second.body).toMatchObject({ provider_key: 'firebase-fcm', properties: { b: 2 }, device: null, tracking: null });
    expect(second.body.created_at).toBe(first.body.created_at);
    expect(await t.model.countDocuments({ token: 'replace-me' })).toBe(1);
  });

  it('When a failed token is PUT again, then it is active again with no status_reason', async () => {
    const p = path('u-revive', 'revive-me');
    await request(t.app).put(p).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    await t.model.updateOne({ token: 'revive-me' }, { $set: { status: 'failed', status_reason: 'apns:Unregistered' } });
    await request(t.app).put(p).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    const res = await request(t.app).get(p).set(bearer(KEY_A)).expect(200);
    expect(res.body).toMatchObject({ status: 'active', status_reason: null });
  });

  it('When expiry_date is stored, then it is a BSON Date under a TTL index with expireAfterSeconds 0', async () => {
    await request(t.app).put(path('u-bson', 'bson-date')).set(bearer(KEY_A)).send({ provider_key: 'apn', expiry_date: '2031-05-06T07:08:09.000Z' }).expect(204);
    expect(await t.model.collection.countDocuments({ token: 'bson-date', expiry_date: { $type: 'date' } })).toBe(1);
    const indexes = await t.model.collection.indexes();
    const ttl = indexes.find((index) => JSON.stringify(index.key) === JSON.stringify({ expiry_date: 1 }));
    expect(ttl?.expireAfterSeconds).toBe(0);
    const unique = indexes.find((index) => JSON.stringify(index.key) === JSON.stringify({ workspace_id: 1, token: 1 }));
    expect(unique?.unique).toBe(true);
    expect(indexes.some((index) => JSON.stringify(index.key) === JSON.stringify({ workspace_id: 1, user_id: 1, _id: 1 }))).toBe(true);
  });

  it('When 50 PUTs of one new token race, then there is exactly one document and no 5xx', async () => {
    const p = path('u-race', 'race-token');
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        request(t.app).put(p).set(bearer(KEY_A)).send({ provider_key: 'apn', properties: { i } }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(204));
    expect(await t.model.countDocuments({ workspace_id: 'ws_a', token: 'race-token' })).toBe(1);
  });

  it('When two workspaces register the same token, then each has its own and neither sees the other', async () => {
    await request(t.app).put(path('u1', 'shared-token')).set(bearer(KEY_A)).send({ provider_key: 'apn', properties: { ws: 'a' } }).expect(204);
    await request(t.app).put(path('u1', 'shared-token')).set(bearer(KEY_B)).send({ provider_key: 'apn', properties: { ws: 'b' } }).expect(204);
    const a = await request(t.app).get(path('u1', 'shared-token')).set(bearer(KEY_A)).expect(200);
    const b = await request(t.app).get(path('u1', 'shared-token')).set(bearer(KEY_B)).expect(200);
    expect(a.body.properties).toEqual({ ws: 'a' });
    expect(b.body.properties).toEqual({ ws: 'b' });
  });

  it('When another workspace asks for a token, then every verb answers 404', async () => {
    await request(t.app).put(path('u-private', 'private-token')).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    await request(t.app).get(path('u-private', 'private-token')).set(bearer(KEY_B)).expect(404);
    await request(t.app).patch(path('u-private', 'private-token')).set(bearer(KEY_B)).send({ patch: [{ op: 'replace', path: '/status', value: 'revoked' }] }).expect(404);
    await request(t.app).delete(path('u-private', 'private-token')).set(bearer(KEY_B)).expect(404);
    const list = await request(t.app).get('/users/u-private/tokens').set(bearer(KEY_B)).expect(200);
    expect(list.body.tokens).toEqual([]);
    const still = await request(t.app).get(path('u-private', 'private-token')).set(bearer(KEY_A)).expect(200);
    expect(still.body.status).toBe('active');
  });
});
