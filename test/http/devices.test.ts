import request from 'supertest';
import { bearer, createTestApp, FAST_RETRY, KEY_A, KEY_B, type TestApp } from '../support/test-app';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';

const READ_ONLY = 'sk_devices_read_only';
const TOKENS_ONLY = 'sk_tokens_only_key';
let t: TestApp;
let sims: SimulatedProviders;
const person = '550e8400-e29b-41d4-a716-446655440001';
const devicesOf = (p: string) => `/api/v1/people/${encodeURIComponent(p)}/devices`;
const register = (p: string, body: object, key = KEY_A) => request(t.app).post(devicesOf(p)).set(bearer(key)).send(body);

beforeAll(async () => {
  sims = await startSimulatedProviders();
  t = await createTestApp({
    apiKeys: `ws_a:${KEY_A},ws_b:${KEY_B},ws_a:${READ_ONLY}=devices:read,ws_a:${TOKENS_ONLY}=tokens:read+tokens:write`,
    providers: sims.providers,
    retry: FAST_RETRY,
  });
});
afterAll(async () => {
  await sims.close();
  await t.close();
});

describe('the seed document’s examples', () => {
  it('When the curl/Python register example is posted, then it answers 201 with the device object', async () => {
    const res = await register(person, {
      token: 'fMhT8K9x...your_fcm_token',
      platform: 'ios',
      device_name: 'iPhone 15 Pro',
      device_model: 'iPhone16,1',
      os_version: '17.2',
      app_version: '2.1.0',
    }).expect(201);
    expect(res.body).toMatchObject({
      workspace_id: 'ws_a',
      person_id: person,
      device_token: 'fMhT8K9x...your_fcm_token',
      platform: 'ios',
      device_name: 'iPhone 15 Pro',
      device_model: 'iPhone16,1',
      os_version: '17.2',
      app_version: '2.1.0',
      is_active: true,
      is_valid: true,
      last_used_at: null,
    });
    expect(res.body.id).toMatch(/^[0-9a-f]{24}$/);
    expect(Object.keys(res.body).sort()).toEqual(
      ['id', 'workspace_id', 'person_id', 'device_token', 'platform', 'device_name', 'device_model', 'os_version', 'app_version', 'is_active', 'is_valid', 'last_used_at', 'created_at', 'updated_at'].sort(),
    );
  });

  it('When the update example re-registers the same token, then it answers 200, same id, new versions, other fields kept', async () => {
    const first = await register('p-update', { token: 'existing_fcm_token', platform: 'ios', device_name: 'iPhone 15 Pro', os_version: '17.2', app_version: '2.1.0' }).expect(201);
    const again = await register('p-update', { token: 'existing_fcm_token', platform: 'ios', app_version: '2.2.0', os_version: '17.3' }).expect(200);
    expect(again.body).toMatchObject({ id: first.body.id, app_version: '2.2.0', os_version: '17.3', device_name: 'iPhone 15 Pro', created_at: first.body.created_at });
  });

  it('When the Android and web examples are posted, then both are registered', async () => {
    await register('p-multi', { token: 'android_fcm_token', platform: 'android', device_name: 'Pixel', device_model: 'Pixel 8 Pro', os_version: '14', app_version: '1.0.0' }).expect(201);
    await register('p-multi', { token: 'web_fcm_token', platform: 'web', device_name: 'Chrome Browser', os_version: 'MacIntel', app_version: '1.0.0' }).expect(201);
    const res = await request(t.app).get(devicesOf('p-multi')).set(bearer(KEY_A)).expect(200);
    expect(res.body.total).toBe(2);
    expect(res.body.devices.map((d: { platform: string }) => d.platform)).toEqual(['android', 'web']);
  });

  it('When the delete example runs with an encodeURIComponent token, then it answers 204, then 404', async () => {
    const token = 'fcm:APA91b-delete_me';
    await register('p-del', { token, platform: 'android' }).expect(201);
    await request(t.app).delete(`${devicesOf('p-del')}/${encodeURIComponent(token)}`).set(bearer(KEY_A)).expect(204);
    await request(t.app).delete(`${devicesOf('p-del')}/${encodeURIComponent(token)}`).set(bearer(KEY_A)).expect(404);
  });
});

describe('one registry behind both APIs', () => {
  it('When a device is registered here, then the Courier API shows it as a firebase-fcm token, and POST /send reaches it', async () => {
    await register('p-both', { token: 'both:APA91b-one', platform: 'ios', device_name: 'Phone', device_model: 'iPhone16,1', app_version: '3.0', os_version: '17' }).expect(201);
    const res = await request(t.app).get('/users/p-both/tokens/both%3AAPA91b-one').set(bearer(KEY_A)).expect(200);
    expect(res.body).toMatchObject({
      provider_key: 'firebase-fcm',
      status: 'active',
      device: { platform: 'ios', name: 'Phone', model: 'iPhone16,1', app_version: '3.0' },
      tracking: { os_version: '17' },
    });
    const sent = await request(t.app).post('/send').set(bearer(KEY_A)).send({ message: { to: { user_id: 'p-both' }, content: { title: 'x' } } }).expect(200);
    expect(sent.body.summary.delivered).toBe(1);
    expect(sims.fcm.attempts('both:APA91b-one')).toBe(1);
    const device = (await request(t.app).get(devicesOf('p-both')).set(bearer(KEY_A))).body.devices[0];
    expect(device.last_used_at).not.toBeNull();
  });

  it('When a token is registered through the Courier API, then the Devices API lists it', async () => {
    await request(t.app)
      .put('/users/p-courier/tokens/abcdef0123')
      .set(bearer(KEY_A))
      .send({ provider_key: 'apn', device: { platform: 'iOS', model: 'iPhone 13' }, tracking: { os_version: '16' } })
      .expect(204);
    const res = await request(t.app).get(`${devicesOf('p-courier')}?platform=ios`).set(bearer(KEY_A)).expect(200);
    expect(res.body.devices).toEqual([expect.objectContaining({ device_token: 'abcdef0123', platform: 'ios', device_model: 'iPhone 13', os_version: '16', is_active: true })]);
  });

  it('When a provider reports the device dead, then is_valid and is_active are false', async () => {
    await register('p-dead', { token: 'dead:APA91b-x', platform: 'android' }).expect(201);
    sims.fcm.stage('dead:APA91b-x', { errorCode: 'UNREGISTERED' });
    await request(t.app).post('/send').set(bearer(KEY_A)).send({ message: { to: { user_id: 'p-dead' }, content: { title: 'x' } } }).expect(200);
    const res = await request(t.app).get(devicesOf('p-dead')).set(bearer(KEY_A)).expect(200);
    expect(res.body.devices[0]).toMatchObject({ is_valid: false, is_active: false });
    const inactive = await request(t.app).get(`${devicesOf('p-dead')}?is_active=false`).set(bearer(KEY_A)).expect(200);
    expect(inactive.body.total).toBe(1);
    // Registering it again brings it back.
    const back = await register('p-dead', { token: 'dead:APA91b-x', platform: 'android' }).expect(200);
    expect(back.body).toMatchObject({ is_valid: true, is_active: true });
  });
});

describe('dedupe on token refresh', () => {
  it('When a person registers a new token with the same platform, model and name, then the old one is retired', async () => {
    const device = { platform: 'ios', device_name: "John's iPhone", device_model: 'iPhone16,1' };
    await register('p-refresh', { token: 'old_token_1', ...device }).expect(201);
    await register('p-refresh', { token: 'other_device', platform: 'ios', device_name: 'iPad', device_model: 'iPad14,1' }).expect(201);
    await register('p-refresh', { token: 'new_token_2', ...device }).expect(201);
    const active = await request(t.app).get(`${devicesOf('p-refresh')}?is_active=true`).set(bearer(KEY_A)).expect(200);
    expect(active.body.devices.map((d: { device_token: string }) => d.device_token).sort()).toEqual(['new_token_2', 'other_device']);
    const old = await request(t.app).get('/users/p-refresh/tokens/old_token_1').set(bearer(KEY_A)).expect(200);
    expect(old.body).toMatchObject({ status: 'revoked', status_reason: 'replaced' });
    const all = await request(t.app).get(devicesOf('p-refresh')).set(bearer(KEY_A)).expect(200);
    expect(all.body.devices.find((d: { device_token: string }) => d.device_token === 'old_token_1')).toMatchObject({ is_active: false, is_valid: true });
    const sent = await request(t.app).post('/send').set(bearer(KEY_A)).send({ message: { to: { user_id: 'p-refresh' }, content: { title: 'x' } } }).expect(200);
    expect(sent.body.results.map((r: { token: string }) => r.token).sort()).toEqual(['new_token_2', 'other_device']);
  });

  it('When name or model is missing, then nothing is deduped', async () => {
    await register('p-nodedupe', { token: 'nd_1', platform: 'android' }).expect(201);
    await register('p-nodedupe', { token: 'nd_2', platform: 'android' }).expect(201);
    const active = await request(t.app).get(`${devicesOf('p-nodedupe')}?is_active=true`).set(bearer(KEY_A)).expect(200);
    expect(active.body.total).toBe(2);
  });
});

describe('listing', () => {
  beforeAll(async () => {
    for (let i = 0; i < 7; i++) {
      await register('p-page', { token: `page_tok_${i}`, platform: i % 2 ? 'ios' : 'android', device_name: `d${i}`, device_model: `m${i}` }).expect(201);
    }
  });

  it('When paging with limit and offset, then each device appears once and total counts them all', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 7; offset += 3) {
      const res = await request(t.app).get(`${devicesOf('p-page')}?limit=3&offset=${offset}`).set(bearer(KEY_A)).expect(200);
      expect(res.body.total).toBe(7);
      seen.push(...res.body.devices.map((d: { device_token: string }) => d.device_token));
    }
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `page_tok_${i}`));
  });

  it('When filtering by platform, then only that platform comes back', async () => {
    const res = await request(t.app).get(`${devicesOf('p-page')}?platform=ios`).set(bearer(KEY_A)).expect(200);
    expect(res.body.total).toBe(3);
    expect(res.body.devices.every((d: { platform: string }) => d.platform === 'ios')).toBe(true);
  });

  it('When a person has no devices, then the list is empty', async () => {
    const res = await request(t.app).get(devicesOf('nobody')).set(bearer(KEY_A)).expect(200);
    expect(res.body).toEqual({ devices: [], total: 0 });
  });

  it('When another workspace asks, then it sees nothing and can delete nothing', async () => {
    const res = await request(t.app).get(devicesOf('p-page')).set(bearer(KEY_B)).expect(200);
    expect(res.body.total).toBe(0);
    await request(t.app).delete(`${devicesOf('p-page')}/page_tok_0`).set(bearer(KEY_B)).expect(404);
  });
});

describe('bad input', () => {
  it.each([
    [{ platform: 'ios' }, 'token', undefined],
    [{ token: 't1' }, 'platform', undefined],
    [{ token: 't1', platform: 'windows' }, 'platform', 'must be one of ios, android, web'],
    [{ token: 't1', platform: 'ios', colour: 'red' }, 'colour', 'is not a known field'],
    [{ token: 't1', platform: 'ios', device_name: 5 }, 'device_name', undefined],
    [{ token: 'a/b', platform: 'ios' }, 'token', undefined],
  ])('When the body is %j, then it is a 400 naming %s', async (body, field, message) => {
    const res = await register('p-bad', body).expect(400);
    expect(res.body.type).toBe('invalid_request_error');
    const problem = res.body.errors.find((e: { path: string }) => e.path === field);
    expect(problem).toBeDefined();
    if (message) expect(problem.message).toBe(message);
  });

  it.each([
    ['is_active=yes', 'is_active'],
    ['platform=windows', 'platform'],
    ['limit=500', 'limit'],
    ['offset=-1', 'offset'],
    ['sort=asc', 'sort'],
  ])('When the query is %s, then it is a 400 naming %s', async (query, field) => {
    const res = await request(t.app).get(`${devicesOf('p-bad')}?${query}`).set(bearer(KEY_A)).expect(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
  });
});

describe('scoped keys', () => {
  it('When a key has devices:read only, then it can list but writing is a 403 naming devices:write', async () => {
    await request(t.app).get(devicesOf(person)).set(bearer(READ_ONLY)).expect(200);
    const res = await register(person, { token: 'scoped_tok', platform: 'ios' }, READ_ONLY).expect(403);
    expect(res.body).toMatchObject({ type: 'permission_error', missing_scope: 'devices:write' });
    const del = await request(t.app).delete(`${devicesOf(person)}/scoped_tok`).set(bearer(READ_ONLY)).expect(403);
    expect(del.body.missing_scope).toBe('devices:write');
    await request(t.app).get(`/users/${person}/tokens`).set(bearer(READ_ONLY)).expect(403);
    const send = await request(t.app).post('/send').set(bearer(READ_ONLY)).send({ message: { to: { user_id: person } } }).expect(403);
    expect(send.body.missing_scope).toBe('send');
  });

  it('When a key has token scopes only, then the Devices API is a 403 naming devices:read', async () => {
    const res = await request(t.app).get(devicesOf(person)).set(bearer(TOKENS_ONLY)).expect(403);
    expect(res.body.missing_scope).toBe('devices:read');
    await request(t.app).get(`/users/${person}/tokens`).set(bearer(TOKENS_ONLY)).expect(200);
  });
});
