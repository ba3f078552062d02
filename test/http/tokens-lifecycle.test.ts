import request from 'supertest';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

const path = (user: string, token: string) => `/users/${encodeURIComponent(user)}/tokens/${encodeURIComponent(token)}`;
const tokensOf = (body: { tokens: { token: string }[] }) => body.tokens.map((x) => x.token);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('token transfer between users', () => {
  it('When another user PUTs a token, then it moves: the old user no longer sees it', async () => {
    await request(t.app).put(path('alice', 'resold-phone')).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    await request(t.app).put(path('bob', 'resold-phone')).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    await request(t.app).get(path('alice', 'resold-phone')).set(bearer(KEY_A)).expect(404);
    const alice = await request(t.app).get('/users/alice/tokens').set(bearer(KEY_A)).expect(200);
    expect(tokensOf(alice.body)).toEqual([]);
    const bob = await request(t.app).get(path('bob', 'resold-phone')).set(bearer(KEY_A)).expect(200);
    expect(bob.body.user_id).toBe('bob');
    expect(await t.model.countDocuments({ token: 'resold-phone' })).toBe(1);
  });
});

describe('token refresh on the same device', () => {
  it('When a device registers a new token for the same app, then older tokens become revoked/replaced', async () => {
    const device = { app_id: 'com.example', device_id: 'device-1', platform: 'ios' };
    await request(t.app).put(path('carol', 'old-token')).set(bearer(KEY_A)).send({ provider_key: 'apn', device }).expect(204);
    await request(t.app).put(path('carol', 'other-app')).set(bearer(KEY_A)).send({ provider_key: 'apn', device: { ...device, app_id: 'com.other' } }).expect(204);
    await request(t.app).put(path('carol', 'new-token')).set(bearer(KEY_A)).send({ provider_key: 'apn', device }).expect(204);
    const old = await request(t.app).get(path('carol', 'old-token')).set(bearer(KEY_A)).expect(200);
    expect(old.body).toMatchObject({ status: 'revoked', status_reason: 'replaced' });
    const other = await request(t.app).get(path('carol', 'other-app')).set(bearer(KEY_A)).expect(200);
    expect(other.body.status).toBe('active');
    const fresh = await request(t.app).get(path('carol', 'new-token')).set(bearer(KEY_A)).expect(200);
    expect(fresh.body.status).toBe('active');
    const active = await request(t.app).get('/users/carol/tokens?status=active').set(bearer(KEY_A)).expect(200);
    expect(tokensOf(active.body).sort()).toEqual(['new-token', 'other-app']);
  });

  it('When the replaced token is PUT again, then it is active again and the newer one is replaced', async () => {
    const device = { app_id: 'com.example', device_id: 'device-2' };
    await request(t.app).put(path('dave', 'first')).set(bearer(KEY_A)).send({ provider_key: 'apn', device }).expect(204);
    await request(t.app).put(path('dave', 'second')).set(bearer(KEY_A)).send({ provider_key: 'apn', device }).expect(204);
    await request(t.app).put(path('dave', 'first')).set(bearer(KEY_A)).send({ provider_key: 'apn', device }).expect(204);
    const first = await request(t.app).get(path('dave', 'first')).set(bearer(KEY_A)).expect(200);
    const second = await request(t.app).get(path('dave', 'second')).set(bearer(KEY_A)).expect(200);
    expect(first.body.status).toBe('active');
    expect(second.body).toMatchObject({ status: 'revoked', status_reason: 'replaced' });
  });

  it('When a PUT has a device_id but no app_id, then nothing is replaced', async () => {
    await request(t.app).put(path('erin', 'e1')).set(bearer(KEY_A)).send({ provider_key: 'apn', device: { device_id: 'd' } }).expect(204);
    await request(t.app).put(path('erin', 'e2')).set(bearer(KEY_A)).send({ provider_key: 'apn', device: { device_id: 'd' } }).expect(204);
    const list = await request(t.app).get('/users/erin/tokens?status=active').set(bearer(KEY_A)).expect(200);
    expect(list.body.tokens).toHaveLength(2);
  });
});

describe('expiry', () => {
  it('When expiry_date has passed but the TTL monitor has not run, then the token is gone from the API', async () => {
    await request(t.app).put(path('frank', 'expiring')).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    await t.model.updateOne({ token: 'expiring' }, { $set: { expiry_date: new Date(Date.now() - 1000) } });
    await request(t.app).get(path('frank', 'expiring')).set(bearer(KEY_A)).expect(404);
    const list = await request(t.app).get('/users/frank/tokens').set(bearer(KEY_A)).expect(200);
    expect(list.body.tokens).toEqual([]);
    await request(t.app).patch(path('frank', 'expiring')).set(bearer(KEY_A)).send({ patch: [{ op: 'replace', path: '/status', value: 'revoked' }] }).expect(404);
    await request(t.app).delete(path('frank', 'expiring')).set(bearer(KEY_A)).expect(404);
  });

  it('When an expired token is PUT again, then it comes back as a new token', async () => {
    await request(t.app).put(path('gina', 'comeback')).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    await t.model.updateOne({ token: 'comeback' }, { $set: { expiry_date: new Date(Date.now() - 1000), created_at: new Date('2020-01-01') } });
    await request(t.app).put(path('gina', 'comeback')).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    const res = await request(t.app).get(path('gina', 'comeback')).set(bearer(KEY_A)).expect(200);
    expect(Date.parse(res.body.created_at)).toBeGreaterThan(Date.parse('2025-01-01'));
  });

  it('When expiry_date is in the past, then the PUT is a 400 naming expiry_date', async () => {
    const res = await request(t.app).put(path('gina', 'past')).set(bearer(KEY_A)).send({ provider_key: 'apn', expiry_date: '2001-01-01T00:00:00Z' }).expect(400);
    expect(res.body.errors).toEqual([{ path: 'expiry_date', message: 'must be in the future' }]);
  });
});

describe('PUT /users/:user_id/tokens (several at once)', () => {
  it('When every item is valid, then all are written and it answers 204', async () => {
    const tokens = Array.from({ length: 100 }, (_, i) => ({ token: `bulk-${i}`, provider_key: i % 2 ? 'apn' : 'firebase-fcm', properties: { i } }));
    await request(t.app).put('/users/henry/tokens').set(bearer(KEY_A)).send({ tokens }).expect(204);
    expect(await t.model.countDocuments({ workspace_id: 'ws_a', user_id: 'henry' })).toBe(100);
  });

  it('When one item is invalid, then nothing is written and the 400 names the item', async () => {
    const tokens = [
      { token: 'ok-1', provider_key: 'apn' },
      { token: 'ok-2', provider_key: 'pigeon' },
      { token: 'ok-3', provider_key: 'apn', colour: 'red' },
    ];
    const res = await request(t.app).put('/users/irene/tokens').set(bearer(KEY_A)).send({ tokens }).expect(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['tokens[1].provider_key', 'tokens[2].colour']);
    expect(await t.model.countDocuments({ user_id: 'irene' })).toBe(0);
  });

  it('When a token appears twice, or there are 101, then it is a 400', async () => {
    const twice = await request(t.app)
      .put('/users/irene/tokens')
      .set(bearer(KEY_A))
      .send({ tokens: [{ token: 'dup', provider_key: 'apn' }, { token: 'dup', provider_key: 'apn' }] })
      .expect(400);
    expect(twice.body.errors[0].path).toBe('tokens[1].token');
    const many = Array.from({ length: 101 }, (_, i) => ({ token: `t-${i}`, provider_key: 'apn' }));
    const tooMany = await request(t.app).put('/users/irene/tokens').set(bearer(KEY_A)).send({ tokens: many }).expect(400);
    expect(tooMany.body.errors[0].path).toBe('tokens');
    expect(await t.model.countDocuments({ user_id: 'irene' })).toBe(0);
  });

  it('When bulk items include another user’s token and a device refresh, then both rules apply', async () => {
    await request(t.app).put(path('jack', 'jack-phone')).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    await request(t.app).put(path('kate', 'kate-old')).set(bearer(KEY_A)).send({ provider_key: 'apn', device: { app_id: 'a', device_id: 'd' } }).expect(204);
    await request(t.app)
      .put('/users/kate/tokens')
      .set(bearer(KEY_A))
      .send({ tokens: [{ token: 'jack-phone', provider_key: 'apn' }, { token: 'kate-new', provider_key: 'apn', device: { app_id: 'a', device_id: 'd' } }] })
      .expect(204);
    await request(t.app).get(path('jack', 'jack-phone')).set(bearer(KEY_A)).expect(404);
    const old = await request(t.app).get(path('kate', 'kate-old')).set(bearer(KEY_A)).expect(200);
    expect(old.body).toMatchObject({ status: 'revoked', status_reason: 'replaced' });
  });
});

describe('GET /users/:user_id/tokens', () => {
  beforeAll(async () => {
    const tokens = Array.from({ length: 7 }, (_, i) => ({ token: `page-${i}`, provider_key: i < 4 ? 'apn' : 'firebase-fcm' }));
    await request(t.app).put('/users/lisa/tokens').set(bearer(KEY_A)).send({ tokens }).expect(204);
  });

  it('When paging with limit 3, then the cursor walks every token once, in creation order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/users/lisa/tokens?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await request(t.app).get(url).set(bearer(KEY_A)).expect(200);
      seen.push(...tokensOf(res.body));
      expect(res.body.paging.more).toBe(res.body.paging.cursor !== null);
      cursor = res.body.paging.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `page-${i}`));
  });

  it('When filtering by provider_key and status, then only matching tokens come back', async () => {
    const fcm = await request(t.app).get('/users/lisa/tokens?provider_key=firebase-fcm').set(bearer(KEY_A)).expect(200);
    expect(tokensOf(fcm.body)).toEqual(['page-4', 'page-5', 'page-6']);
    expect(fcm.body.paging).toEqual({ cursor: null, more: false });
    await t.model.updateOne({ token: 'page-1' }, { $set: { status: 'failed' } });
    const failed = await request(t.app).get('/users/lisa/tokens?status=failed').set(bearer(KEY_A)).expect(200);
    expect(tokensOf(failed.body)).toEqual(['page-1']);
  });

  it('When limit, cursor or a filter is bad, then the 400 names it', async () => {
    const cases: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['cursor=nope', 'cursor'],
      ['provider_key=sms', 'provider_key'],
      ['status=gone', 'status'],
      ['colour=red', 'colour'],
    ];
    for (const [query, field] of cases) {
      const res = await request(t.app).get(`/users/lisa/tokens?${query}`).set(bearer(KEY_A)).expect(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    }
  });

  it('When a user has no tokens, then the list is empty, not a 404', async () => {
    const res = await request(t.app).get('/users/nobody/tokens').set(bearer(KEY_A)).expect(200);
    expect(res.body).toEqual({ tokens: [], paging: { cursor: null, more: false } });
  });
});

describe('DELETE /users/:user_id/tokens/:token', () => {
  it('When the token exists, then it answers 204 and then 404', async () => {
    await request(t.app).put(path('mike', 'bye')).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    await request(t.app).delete(path('other-user', 'bye')).set(bearer(KEY_A)).expect(404);
    await request(t.app).delete(path('mike', 'bye')).set(bearer(KEY_A)).expect(204);
    await request(t.app).delete(path('mike', 'bye')).set(bearer(KEY_A)).expect(404);
    await request(t.app).get(path('mike', 'bye')).set(bearer(KEY_A)).expect(404);
  });
});
